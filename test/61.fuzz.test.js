'use strict';
// The API fuzzer (test/fixtures/fuzz.js) on fixed seeds, each in a child
// process: random operations on generators and stacks, every outcome checked
// against a model, every exception required to be a documented one.
//
// Longer local runs:
//   FRINGE_FUZZ_SEED=random FRINGE_FUZZ_OPS=1000000 npx mocha test/61.fuzz.test.js
//   node --expose-gc test/fixtures/fuzz.js --seed 1234 --ops 1000000 [--nesting 32] [--trace]
// (FRINGE_FUZZ_SEED adds a run with that seed -- a number, or "random".)

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');
const { emulated, slower } = require('./helpers/emulation');

const fixture = path.join(__dirname, 'fixtures', 'fuzz.js');
const FLAGS = ['--expose-gc', '--no-warnings'];

// 4 x 100 000 operations, plus 30 000 under scavenges every 10 allocations:
// about 15 s on 2 cores (4 s per plain seed, 10 s under the stress flag).
// Half of that under emulation (helpers/emulation.js).
const OPS = emulated ? 50000 : 100000;
const runs = [
  { seed: 1, ops: OPS },
  { seed: 2, ops: OPS },
  { seed: 3, ops: OPS },
  { seed: 4, ops: OPS },
  { seed: 5, ops: OPS * 0.3, flags: ['--stress-scavenge=10'] },
];
if (process.env.FRINGE_FUZZ_SEED) {
  runs.push({ seed: process.env.FRINGE_FUZZ_SEED, ops: Number(process.env.FRINGE_FUZZ_OPS || 200000), local: true });
}

// The fuzzer's nesting cap (fuzz.js --nesting, default 16) and the depth
// every run must reach (the old fuzzer reached 3).
const MAX_NESTING = 16;
const LEAST_NESTING = 6;

// Outcomes every run must have seen: each resume outcome, each error the
// model predicts, the fuzzer's own throws, unwrapped stacks. (Rarer ones --
// ERR_STACK_ALLOCATION, warnings of collected generators that threw while
// unwound -- are required over all runs together.)
const EVERY_RUN = [
  'resumed: suspended again', 'resumed: returned', 'resumed: threw',
  'ERR_GENERATOR_RUNNING', 'ERR_GENERATOR_DONE', 'ERR_GENERATOR_NOT_DONE', 'ERR_WRONG_GENERATOR', 'ERR_NOT_IN_GENERATOR',
  'ERR_STACK_IN_USE', 'ERR_STACK_RELEASED', 'TypeError ERR_INVALID_ARG_TYPE', 'RangeError ERR_OUT_OF_RANGE',
  'TypeError: not an instance', 'RangeError: stack overflow', 'unwrap: got a stack',
  'thrown: passed to throw()', "thrown: the fuzzer's own",
];
const SOME_RUN = ['ERR_STACK_ALLOCATION', 'FringeWarning on unwinding'];

/** The counters of the "ok ..." line and the "outcomes: ..." tally of a run's output. */
function summary(stdout) {
  const line = /^ok (.*)$/m.exec(stdout);
  assert.ok(line, stdout);
  const counters = Object.fromEntries(line[1].split(' ').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]));
  const outcomes = Object.fromEntries(
    /^outcomes: (.*)$/m.exec(stdout)[1].split(', ').map((entry) => [entry.replace(/: \d+$/, ''), Number(/\d+$/.exec(entry)[0])]),
  );
  return { line: line[0], counters, outcomes };
}

describe('API fuzzer', function () {
  this.timeout(slower(30 * 60 * 1000));
  let results;
  before(async () => {
    results = await inParallel(
      runs.map(({ seed, ops, flags = [] }) => () =>
        spawnNode([...FLAGS, ...flags, fixture, '--seed', String(seed), '--ops', String(ops), '--nesting', String(MAX_NESTING)], { timeout: 20 * 60 * 1000 })),
    );
  });

  runs.forEach(({ seed, ops, flags = [], local }, index) => {
    it(`seed ${seed}: ${ops} operations${flags.length ? ` under ${flags.join(' ')}` : ''}${local ? ' (FRINGE_FUZZ_SEED)' : ''} match the model, and only documented errors are thrown`, () => {
      const result = results[index];
      // A crash names the seed; rerun it with --trace to see the last operation.
      assert.equal(result.status, 0, `seed ${seed}: ${explain(result)}`);
      const { line, counters, outcomes } = summary(result.stdout);
      console.log(`      ${line}`);
      if (/^\d+$/.test(String(seed))) assert.equal(counters.seed, Number(seed) >>> 0, 'the seed');
      assert.ok(counters.ops >= ops, `${counters.ops} operations`);
      assert.ok(counters.steps > 0 && counters.steps <= counters.ops, `${counters.steps} steps`);
      assert.ok(counters.generators > ops / 50, `${counters.generators} generators created`);
      // Generators running inside generators, as deep as the cap allows and no deeper.
      assert.ok(counters.nested >= LEAST_NESTING && counters.nested <= MAX_NESTING, `nested ${counters.nested} deep`);
      // Generators dropped unfinished were collected and unwound (most of them:
      // one can stay reachable, as a value another generator still holds, and
      // one dropped while running may finish first).
      const dropped = counters['dropped-unfinished'];
      const unwound = counters['unwound-after-collection'];
      assert.ok(dropped > 0, 'no generator dropped unfinished');
      assert.ok(unwound <= dropped && unwound >= dropped / 2, `${unwound} of ${dropped} generators dropped unfinished were unwound after their collection`);
      assert.ok(counters.seconds > 0 && Math.abs(counters['ops/s'] - counters.ops / counters.seconds) <= counters['ops/s'] * 0.02, 'ops/s');
      for (const outcome of EVERY_RUN) assert.ok(outcomes[outcome] > 0, `no "${outcome}" in ${JSON.stringify(outcomes)}`);
    });
  });

  it('over all runs, the rarer outcomes were seen too', function () {
    if (results.some((r) => r.status !== 0)) this.skip();  // reported above
    const total = {};
    for (const result of results) for (const [k, v] of Object.entries(summary(result.stdout).outcomes)) total[k] = (total[k] ?? 0) + v;
    for (const outcome of SOME_RUN) assert.ok(total[outcome] > 0, `no "${outcome}" in ${JSON.stringify(total)}`);
  });

  // A model that expects the wrong thing must be caught, whichever kind of
  // expectation is wrong: FRINGE_FUZZ_SELF_TEST corrupts one kind.
  const SELF_TESTS = {
    'wrong-code': /: expected ERR_GENERATOR_RUNNING, threw Error\(ERR_GENERATOR_DONE/,
    'wrong-value': /: expected the suspended value Symbol\(corrupt\), got /,
    'wrong-state': /: state is suspended, the model says done$/,
    undocumented: /: undocumented exception Error\(ERR_WRONG_GENERATOR: /,
    'wrong-stack': /stack getters: expected size \d+, inUse (true|false), released (true|false), got /,
    'wrong-unwind': /: suspend\(\) threw GeneratorReturn\(undefined\), return\(\) passed Symbol\(corrupt\)$/,
  };
  let selfTests;
  before(async () => {
    selfTests = await inParallel(
      Object.keys(SELF_TESTS).map((kind) => () =>
        spawnNode([...FLAGS, fixture, '--seed', '7', '--ops', '3000'], { env: { FRINGE_FUZZ_SELF_TEST: kind } })),
    );
  });
  Object.entries(SELF_TESTS).forEach(([kind, message], index) => {
    it(`reports a violation with its seed and step when the model is wrong (${kind}): it is not a test that cannot fail`, () => {
      const result = selfTests[index];
      assert.equal(result.status, 3, explain(result));
      const failure = /^FUZZ FAILURE seed=7 step=\d+ op=\d+: (.*)$/m.exec(result.stdout);
      assert.ok(failure, explain(result));
      assert.match(failure[1], message);
      assert.match(result.stdout, /rerun: node .*fuzz\.js --seed 7 --ops 3000 --trace/);
    });
  });
});
