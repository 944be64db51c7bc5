#!/usr/bin/env node
// Builds prebuilds/linux-x64/node.abi<N>.node with prebuildify, one per Node
// ABI: for the node running this script and for each executable listed in
// FRINGE_TEST_NODES (colon-separated, as for scripts/test.js) or given as
// arguments. Each is built against that node's own headers
// (<prefix>/include/node): nothing is downloaded. node-gyp-build loads the
// matching one at install time, so users without a compiler need none.
//
//   npm run prebuilds [-- /path/to/node22/bin/node ...]

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const nodes = [process.execPath, ...process.argv.slice(2), ...(process.env.FRINGE_TEST_NODES || '').split(':').filter(Boolean)];

for (const node of [...new Set(nodes.map((n) => fs.realpathSync(n)))]) {
  const version = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const nodedir = path.dirname(path.dirname(node));
  if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node.h'))) {
    console.error(`No headers for node ${version} in ${nodedir}/include/node`);
    process.exit(1);
  }
  // prebuildify runs `node-gyp rebuild` in its working directory: a staged
  // copy of what the build needs, so that build/ keeps the development build.
  const stage = path.join(root, 'build-matrix', `prebuild-${version}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const file of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(root, file), path.join(stage, file));
  fs.cpSync(path.join(root, 'native'), path.join(stage, 'native'), { recursive: true });
  console.log(`\n$ prebuildify for node ${version} (headers: ${nodedir})`);
  const result = spawnSync(
    node,
    [require.resolve('prebuildify/bin.js'), '--napi=false', '--strip', '--name=node', `--target=node@${version}`, `--out=${root}`, stage],
    { stdio: 'inherit', env: { ...process.env, npm_config_nodedir: nodedir, PATH: `${path.dirname(node)}:${process.env.PATH}` } },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}
console.log(`\n${fs.readdirSync(path.join(root, 'prebuilds', 'linux-x64')).join('\n')}`);
