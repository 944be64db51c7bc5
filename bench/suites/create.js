'use strict';
// Creating a generator on a pooled stack, running it to completion, and
// letting it go -- against an await round trip measured in the same process
// (the ratio is what matters on a shared machine).

const Benchmark = require('benchmark');
const { Generator } = require('../../dist/index.js');

const BATCH = 1000;
const ROUNDS = Number(process.env.FRINGE_BENCH_ROUNDS_JS || 5);

function createRun() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += new Generator(() => i).resume();
  return sum;
}
async function awaitBatch() {
  for (let i = 0; i < BATCH; i++) await i;
}

function runSuite() {
  return new Promise((resolve) => {
    const out = {};
    new Benchmark.Suite()
      .add('create_run_ns', createRun, { minSamples: 20, maxTime: 1 })
      .add('await_ns_create_suite', { defer: true, minSamples: 20, maxTime: 1, fn: (d) => awaitBatch().then(() => d.resolve()) })
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
