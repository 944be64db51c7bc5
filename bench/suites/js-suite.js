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
// FRINGE_BENCH_MAX_TIME / FRINGE_BENCH_MIN_SAMPLES: the smoke test's short
// mode (test/90.bench.test.js); the defaults are what the report uses.
const OPTIONS = {
  minSamples: Number(process.env.FRINGE_BENCH_MIN_SAMPLES || 20),
  maxTime: Number(process.env.FRINGE_BENCH_MAX_TIME || 1),
};

/** `await` of a resolved value, BATCH times. */
async function awaitBatch() {
  for (let i = 0; i < BATCH; i++) await i;
}

/** A function* generator's next(), BATCH times. */
function* counter() {
  let x = 0;
  for (;;) x = yield x + 1;
}
const counting = counter();
counting.next();
function starBatch() {
  for (let i = 0; i < BATCH; i++) counting.next(i);
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
  // Each round starts from a macrotask, not from a promise job: deasync's
  // loopWhile() never returns when called inside one (bench/suites/deasync.js).
  const rounds = [];
  const next = () => {
    if (rounds.length < ROUNDS) {
      once().then((out) => {
        rounds.push(out);
        setImmediate(next);
      });
      return;
    }
    const result = {};
    for (const key of Object.keys(rounds[0])) result[key] = +Math.min(...rounds.map((r) => r[key])).toFixed(2);
    process.stdout.write(JSON.stringify(result) + '\n');
  };
  setImmediate(next);
}

module.exports = { BATCH, awaitBatch, starBatch, deferred, runJsSuite };
