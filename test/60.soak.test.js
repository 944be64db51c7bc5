'use strict';
// Soak: a minute of a seeded random mix of workloads (test/fixtures/soak.js)
// in a child process, failing on a wrong result or on RSS that keeps
// growing. `npm run soak [seconds]` runs the same for longer (600 s by
// default). Also: the soak's memory check catches a leak, and worker
// teardown gives back what suspended generators held.

const assert = require('node:assert/strict');
const { runFixture, runScript, describe: explain } = require('./helpers/child');

const { secondaryRun } = require('./helpers/v8flags');
const { slower, rssMeasurable } = require('./helpers/emulation');

// A minute on the primary run (CI's Node 20); 40 s (20 s of warm-up, then
// the RSS windows) under the matrix's other versions.
const SECONDS = secondaryRun ? 40 : 60;

// The seed: pinned (1) unless FRINGE_SOAK_SEED says otherwise -- a number to
// pin another, or "random" for a new one each run (CI can rotate it
// deliberately that way). The test's title and the summary line name it:
// rerun with FRINGE_SOAK_SEED=<seed> to reproduce.
const SEED_SETTING = process.env.FRINGE_SOAK_SEED || '1';
const SEED = SEED_SETTING === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(SEED_SETTING) >>> 0;
if (!/^(\d+|random)$/.test(SEED_SETTING)) throw new Error(`FRINGE_SOAK_SEED: a number or "random", not ${SEED_SETTING}`);

describe('soak', function () {
  this.timeout(slower((SECONDS + 120) * 1000));

  const memory = rssMeasurable ? ' and flat RSS' : ' (RSS not judged: emulated)';
  it(`runs ${SECONDS} s of mixed workloads with correct results${memory} (seed ${SEED})`, () => {
    // --verbose: the RSS samples on stderr, for the log (and it must not fail a good run).
    const result = runFixture('soak.js', ['--expose-gc'], [String(SECONDS), `--seed=${SEED}`, '--verbose'], {
      timeout: (SECONDS + 100) * 1000,
    });
    console.log(`      ${result.stdout.trim()}`);
    assert.equal(result.status, 0, explain(result));
    assert.match(result.stdout, new RegExp(`^soak: ok, ${SECONDS} s, seed ${SEED}, `));
    assert.match(result.stderr, /^RSS samples \(s, MiB\): /m, explain(result));
  });

  it('fails when generators leak (abandoned generators kept reachable)', function () {
    // A check of the soak's own detector, not of fringe: once is enough.
    if (secondaryRun) this.skip();
    const result = runFixture('soak.js', ['--expose-gc'], ['40', '--seed=1', '--leak'], { timeout: 140 * 1000 });
    assert.equal(result.status, 1, explain(result));
    assert.match(result.stdout, /^soak: FAIL, /, explain(result));
    assert.match(result.stderr, /RSS grew by [\d.]+ MiB after the warm-up/, explain(result));
  });

  it('gives back the handle blocks of generators suspended (and fibers parked) when a worker ends', function () {
    if (!rssMeasurable) this.skip();  // under emulation: helpers/emulation.js
    const result = runScript(`
      const { Worker } = require('node:worker_threads');
      const source = \`
        const { Generator, suspend } = require(process.env.FRINGE_ROOT);
        const keep = [];
        for (let i = 0; i < 2000; i++) {
          const g = new Generator(() => { suspend(1); });
          g.resume();
          keep.push(g);
        }
        // Finished generators leave their fibers parked in the pool.
        for (let i = 0; i < 64; i++) [...new Generator(() => { suspend(1); suspend(2); })];
      \`;
      const run = () => new Promise((resolve) => new Worker(source, { eval: true }).on('exit', resolve));
      (async () => {
        for (let i = 0; i < 3; i++) await run();
        gc();
        const before = process.memoryUsage.rss();
        for (let i = 0; i < 20; i++) await run();
        gc();
        console.log((process.memoryUsage.rss() - before) / 2 ** 20);
      })();
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    // Before the fix: about 4.4 KiB per suspended generator, 170 MiB here.
    const grewMiB = Number(result.stdout.trim());
    assert.ok(grewMiB < 40, `RSS grew by ${grewMiB.toFixed(1)} MiB over 20 workers`);
  });
});
