// Runs JavaScript in a child Node process, for tests that may crash the
// process, need V8 flags, or must start from a clean heap.

'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

/**
 * Runs `source` (a script that may `require(process.env.FRINGE_ROOT)`) with
 * the given Node/V8 flags. Returns { status, signal, stdout, stderr }.
 */
function runScript(source, flags = [], options = {}) {
  const result = spawnSync(process.execPath, [...flags, '-e', source], {
    encoding: 'utf8',
    timeout: options.timeout ?? 120000,
    env: { ...process.env, FRINGE_ROOT: root, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return result;
}

/** Runs a fixture file from test/fixtures with flags and arguments. */
function runFixture(name, flags = [], args = [], options = {}) {
  return spawnSync(process.execPath, [...flags, path.join(__dirname, '..', 'fixtures', name), ...args], {
    encoding: 'utf8',
    timeout: options.timeout ?? 300000,
    env: { ...process.env, FRINGE_ROOT: root, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** A readable account of a child's end, for assertion messages. */
function describe(result) {
  return `status ${result.status}, signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

module.exports = { runScript, runFixture, describe, root };
