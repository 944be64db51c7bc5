'use strict';
// Deoptimization of frames that are suspended on a generator's stack.

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');

const fixture = path.join(__dirname, 'fixtures', 'deopt.js');
const FLAG_SETS = [[], ['--stress-incremental-marking'], ['--stress-compaction-random'], ['--verify-heap']];

describe('deoptimization while suspended', () => {
  let results;
  before(async () => {
    results = await inParallel(FLAG_SETS.map((flags) => () => spawnNode(['--allow-natives-syntax', '--expose-gc', ...flags, fixture])));
  });
  FLAG_SETS.forEach((flags, index) => {
    it(`resumes an optimized function whose objects changed maps while it was suspended, with exact results (${flags.join(' ') || 'no flags'})`, () => {
      const result = results[index];
      assert.equal(result.status, 0, explain(result));
      const [, , before, after] = result.stdout.trim().split(' ');
      assert.equal(before, '1', 'optimized before the switch');
      if (flags.length === 0) {
        // The optimized code was thrown away: the frame was deoptimized.
        assert.equal(after, '0', 'not optimized code any more');
      }
    });
  });
});
