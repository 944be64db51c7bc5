'use strict';
// wait() of an already-resolved promise inside run() -- a switch out of the
// run's generator, a then() and a microtask, and a switch back in -- against
// an await of a resolved value measured in the same process. Measured with
// benchmark.js; each operation runs a batch of 1000 (for wait(), inside one
// run(), whose creation is spread over the batch) and the suites alternate
// over several rounds (the fastest reported).

const Benchmark = require('benchmark');
const { run, wait } = require('../../dist/index.js');

const BATCH = 1000;
const ROUNDS = Number(process.env.FRINGE_BENCH_ROUNDS_JS || 5);

const resolved = Promise.resolve(1);
function waitBatch() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += wait(resolved);
  return sum;
}
async function awaitBatch() {
  for (let i = 0; i < BATCH; i++) await i;
}

function runSuite() {
  return new Promise((resolve) => {
    const out = {};
    new Benchmark.Suite()
      .add('wait_resolved_ns', {
        defer: true,
        minSamples: 20,
        maxTime: 1,
        fn: (deferred) =>
          run(waitBatch).then((sum) => {
            if (sum !== BATCH) throw new Error(`wait() returned the wrong values (sum ${sum})`);
            deferred.resolve();
          }),
      })
      .add('await_ns_wait_suite', { defer: true, minSamples: 20, maxTime: 1, fn: (d) => awaitBatch().then(() => d.resolve()) })
      .on('cycle', (event) => {
        out[event.target.name] = (event.target.stats.mean * 1e9) / BATCH;
      })
      .on('complete', () => resolve(out))
      .run({ async: true });
  });
}

(async () => {
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await runSuite());
  // The fastest round: noise on a shared machine only ever adds time.
  const best = (xs) => Math.min(...xs);
  const result = {};
  for (const key of Object.keys(rounds[0])) result[key] = +best(rounds.map((r) => r[key])).toFixed(2);
  process.stdout.write(JSON.stringify(result) + '\n');
})();
