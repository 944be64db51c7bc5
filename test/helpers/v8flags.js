// Which V8 flags the running node knows. Stress flags come and go between
// V8 versions (Node 26's V8 14.6 dropped --always-turbofan), and an unknown
// flag makes node refuse to start, so flag sets are built from what exists.

'use strict';
const { execFileSync } = require('node:child_process');

let options;
function v8Options() {
  options ??= execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return options;
}

/** Whether `flag` (e.g. '--minor-ms') is a V8 flag of this node. */
function hasFlag(flag) {
  return v8Options().includes(`\n  ${flag} `);
}

/**
 * Flags that make V8 optimize everything at once: --always-turbofan where it
 * exists, else --jit-fuzzing (its replacement for fuzzers in V8 14).
 */
function forceOptimization() {
  if (hasFlag('--always-turbofan')) return ['--always-turbofan'];
  if (hasFlag('--jit-fuzzing')) return ['--jit-fuzzing'];
  throw new Error('this V8 has neither --always-turbofan nor --jit-fuzzing');
}

/**
 * Whether this run is one of the extra Node versions of scripts/test.js's
 * matrix (FRINGE_TEST_NODES): the suites that only repeat, at great length,
 * what the primary run already showed (long soaks, every stress flag set)
 * run a shorter form there.
 */
const secondaryRun = process.env.FRINGE_SECONDARY_RUN === '1';

module.exports = { hasFlag, forceOptimization, secondaryRun };
