// Runs JavaScript in a child Node process, for tests that may crash the
// process, need V8 flags, or must start from a clean heap.

'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { slower, withoutEmulatorNoise } = require('./emulation');

const root = path.join(__dirname, '..', '..');

// Under emulation (helpers/emulation.js) timeouts are scaled and the
// emulator's own line about a fatal signal is taken out of stderr.
function spawnNode(args, options, timeout) {
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    timeout: slower(options.timeout ?? timeout),
    env: { ...process.env, FRINGE_ROOT: root, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  result.stderr = withoutEmulatorNoise(result.stderr);
  return result;
}

/**
 * Runs `source` (a script that may `require(process.env.FRINGE_ROOT)`) with
 * the given Node/V8 flags. Returns { status, signal, stdout, stderr }.
 */
function runScript(source, flags = [], options = {}) {
  return spawnNode([...flags, '-e', source], options, 120000);
}

/** Runs a fixture file from test/fixtures with flags and arguments. */
function runFixture(name, flags = [], args = [], options = {}) {
  return spawnNode([...flags, path.join(__dirname, '..', 'fixtures', name), ...args], options, 300000);
}

/** A readable account of a child's end, for assertion messages. */
function describe(result) {
  return `status ${result.status}, signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

module.exports = { runScript, runFixture, describe, root };
