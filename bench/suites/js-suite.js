'use strict';
// What the JavaScript suites (roundtrip, create, wait) share: operations run
// in batches of BATCH so that the harness's own cost (and a deferred
// benchmark's promise) is spread thin, an await batch measured in the same
// process as the peer, and ROUNDS rounds of the whole suite, each key
// reported as its fastest round (noise on a shared machine only ever adds
// time). Not a suite itself: bench/benchmark.js lists the suites it runs.

const Benchmark = require('benchmark');

const BATCH = 1000;
const ROUNDS = Number(process.env.FRINGE_BENCH_ROUNDS_JS || 5);
const OPTIONS = { minSamples: 20, maxTime: 1 };

/** `await` of a resolved value, BATCH times. */
async function awaitBatch() {
  for (let i = 0; i < BATCH; i++) await i;
}

/** A deferred benchmark of fn(), a function returning a promise. */
function deferred(fn) {
  return { ...OPTIONS, defer: true, fn: (d) => fn().then(() => d.resolve()) };
}

/**
 * Runs the benchmarks ({ key: fn or benchmark options }, each op one batch)
 * ROUNDS times, then prints one JSON line: each key's fastest round, in ns
 * per operation of the batch.
 */
function runJsSuite(benchmarks) {
  const once = () =>
    new Promise((resolve) => {
      const out = {};
      const suite = new Benchmark.Suite();
      for (const [key, bench] of Object.entries(benchmarks)) {
        suite.add(key, typeof bench === 'function' ? { ...OPTIONS, fn: bench } : bench);
      }
      suite
        .on('cycle', (event) => {
          out[event.target.name] = (event.target.stats.mean * 1e9) / BATCH;
        })
        .on('complete', () => resolve(out))
        .run({ async: true });
    });
  (async () => {
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await once());
    const result = {};
    for (const key of Object.keys(rounds[0])) result[key] = +Math.min(...rounds.map((r) => r[key])).toFixed(2);
    process.stdout.write(JSON.stringify(result) + '\n');
  })();
}

module.exports = { BATCH, awaitBatch, deferred, runJsSuite };
