'use strict';
// The API fuzzer (test/fixtures/fuzz.js) on fixed seeds, each in a child
// process: random operations on generators and stacks, every outcome checked
// against a model, every exception required to be a documented one.
//
// Longer local runs:
//   FRINGE_FUZZ_SEED=random FRINGE_FUZZ_OPS=1000000 npx mocha test/61.fuzz.test.js
//   node --expose-gc test/fixtures/fuzz.js --seed 1234 --ops 1000000 [--trace]
// (FRINGE_FUZZ_SEED adds a run with that seed -- a number, or "random".)

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');

const fixture = path.join(__dirname, 'fixtures', 'fuzz.js');
const FLAGS = ['--expose-gc', '--no-warnings'];

// 4 x 30 000 operations, plus 12 000 under scavenges every 10 allocations.
const runs = [
  { seed: 1, ops: 30000 },
  { seed: 2, ops: 30000 },
  { seed: 3, ops: 30000 },
  { seed: 4, ops: 30000 },
  { seed: 5, ops: 12000, flags: ['--stress-scavenge=10'] },
];
if (process.env.FRINGE_FUZZ_SEED) {
  runs.push({ seed: process.env.FRINGE_FUZZ_SEED, ops: Number(process.env.FRINGE_FUZZ_OPS || 200000), local: true });
}

describe('API fuzzer', function () {
  this.timeout(30 * 60 * 1000);
  let results;
  before(async () => {
    results = await inParallel(
      runs.map(({ seed, ops, flags = [] }) => () =>
        spawnNode([...FLAGS, ...flags, fixture, '--seed', String(seed), '--ops', String(ops)], { timeout: 20 * 60 * 1000 })),
    );
  });

  runs.forEach(({ seed, ops, flags = [], local }, index) => {
    it(`seed ${seed}: ${ops} operations${flags.length ? ` under ${flags.join(' ')}` : ''}${local ? ' (FRINGE_FUZZ_SEED)' : ''} match the model, and only documented errors are thrown`, () => {
      const result = results[index];
      // A crash names the seed; rerun it with --trace to see the last operation.
      assert.equal(result.status, 0, `seed ${seed}: ${explain(result)}`);
      const match = /^ok seed=(\d+) ops=(\d+) .* ops\/s=(\d+)$/m.exec(result.stdout);
      assert.ok(match, result.stdout);
      assert.ok(Number(match[2]) >= ops);
      console.log(`      ${result.stdout.trim().split('\n')[0]}`);
    });
  });

  it('the fuzzer reports a violation with its seed and step (it is not a test that cannot fail)', () => {
    // A model that expects the wrong thing must be caught: FRINGE_FUZZ_SELF_TEST
    // makes the fuzzer expect ERR_GENERATOR_DONE to be ERR_GENERATOR_RUNNING.
    const result = require('node:child_process').spawnSync(process.execPath, [...FLAGS, fixture, '--seed', '7', '--ops', '3000'], {
      encoding: 'utf8',
      env: { ...process.env, FRINGE_FUZZ_SELF_TEST: 'wrong-model' },
    });
    assert.equal(result.status, 3, explain(result));
    assert.match(result.stdout, /^FUZZ FAILURE seed=7 step=\d+ op=\d+: .*expected ERR_GENERATOR_RUNNING, threw Error\(ERR_GENERATOR_DONE/m);
    assert.match(result.stdout, /rerun: node .*fuzz\.js --seed 7 --ops 3000 --trace/);
  });
});
