// The package as users get it: `npm pack` of this checkout (made once per
// mocha process and shared by the tests that need it), unpacked or installed
// into temporary consumer projects.

'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./child');

// Variables the npm running `npm test` sets for its scripts: they describe
// this checkout, not the temporary projects a nested npm works in.
const OUTER_NPM = /^npm_(lifecycle_|package_|command$|config_local_prefix$)/i;

// fringe's own variables that point a process at this checkout's build
// (scripts/test.js sets FRINGE_ADDON_PATH per node version): a consumer
// project must load its installed copy.
const CHECKOUT = /^FRINGE_(ADDON_PATH|ROOT)$/;

/** The environment for npm, or a consumer's node, inside a temporary project. */
function npmEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) if (!OUTER_NPM.test(key) && !CHECKOUT.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/**
 * Where node-gyp finds Node's headers: npm_config_nodedir or FRINGE_NODEDIR
 * if set, else the prefix of the running node when it has its headers (so a
 * source build downloads nothing), else node-gyp's own default.
 */
function nodedirEnv() {
  if (process.env.npm_config_nodedir) return { npm_config_nodedir: process.env.npm_config_nodedir };
  if (process.env.FRINGE_NODEDIR) return { npm_config_nodedir: process.env.FRINGE_NODEDIR };
  const prefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? { npm_config_nodedir: prefix } : {};
}

/** A temporary directory, removed when the process exits. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let packed;

/**
 * Packs this checkout with `npm pack` (which runs `prepack`, checking the
 * prebuilds, and `prepare`, compiling lib/) into a temporary directory.
 * A checkout without prebuilds/ packs a source-only package
 * (FRINGE_PACK_SOURCE_ONLY=1, see scripts/prepack.js); one with prebuilds
 * must hold a fresh one for every claimed ABI. Returns { tarball, files,
 * report }: the tarball's path, the sorted paths it contains, and npm's JSON
 * report.
 */
function pack() {
  if (packed) return packed;
  const dir = tempDir('fringe-pack-');
  const sourceOnly = fs.existsSync(path.join(root, 'prebuilds')) ? {} : { FRINGE_PACK_SOURCE_ONLY: '1' };
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: root,
    env: npmEnv(sourceOnly),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const [report] = JSON.parse(out);
  packed = {
    tarball: path.join(dir, report.filename),
    files: report.files.map((f) => f.path).sort(),
    report,
  };
  return packed;
}

/** A temporary consumer project: a directory with a package.json. */
function consumerProject(prefix) {
  const dir = tempDir(prefix);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fringe-consumer', version: '1.0.0', private: true }, null, 2));
  return dir;
}

/** Unpacks the tarball as `<project>/node_modules/fringe`, without installing anything; returns that path. */
function unpackInto(project, tarball) {
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', modules]);
  const dir = path.join(modules, 'fringe');
  fs.renameSync(path.join(modules, 'package'), dir);
  return dir;
}

module.exports = { pack, consumerProject, unpackInto, npmEnv, nodedirEnv, root };
