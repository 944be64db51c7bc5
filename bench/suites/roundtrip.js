'use strict';
// A JavaScript generator's resume + suspend round trip, against the nearest
// things Node has: a function* generator's next() and an await of a resolved
// value. Measured with benchmark.js; each operation runs a batch of 1000 so
// that the harness's own cost (and a deferred benchmark's promise) is spread
// thin, and the suites alternate over several rounds (the fastest reported).

const Benchmark = require('benchmark');
const { Generator } = require('../../dist/index.js');

const BATCH = 1000;
const ROUNDS = Number(process.env.FRINGE_BENCH_ROUNDS_JS || 5);

const gen = new Generator((yielder) => {
  let x = 0;
  for (;;) x = yielder.suspend(x + 1);
});
function* star() {
  let x = 0;
  for (;;) x = yield x + 1;
}
const it = star();
it.next();
async function awaitBatch() {
  for (let i = 0; i < BATCH; i++) await i;
}

function roundtrip() {
  for (let i = 0; i < BATCH; i++) gen.resume(i);
}
function functionStar() {
  for (let i = 0; i < BATCH; i++) it.next(i);
}

function runSuite() {
  return new Promise((resolve) => {
    const out = {};
    new Benchmark.Suite()
      .add('js_roundtrip_ns', roundtrip, { minSamples: 20, maxTime: 1 })
      .add('function_star_next_ns', functionStar, { minSamples: 20, maxTime: 1 })
      .add('await_ns', { defer: true, minSamples: 20, maxTime: 1, fn: (deferred) => awaitBatch().then(() => deferred.resolve()) })
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
