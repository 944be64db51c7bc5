#!/usr/bin/env node
'use strict';
// Same-run comparison of two checkouts' round trip: runs the same
// measurement (this checkout's js-suite.js: the round trip and the await
// baseline, nothing else in the process) against each checkout's dist/ and
// addon, alternately, several times, and prints the median of
// js_roundtrip_ns / await_ns for each, and their ratio. For changes that must not cost the
// fast path anything (issue 16's error stacks, say):
//
//   node bench/compare.js <checkout A> <checkout B> [runs, default 5]
//
// Environment: FRINGE_BENCH_ROUNDS_JS (rounds inside each process, default 3).

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const [a, b, runsArg] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node bench/compare.js <checkout A> <checkout B> [runs]');
  process.exit(2);
}
const RUNS = Number(runsArg || 5);
const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];

const SUITE = `
const { Generator } = require(process.argv[1]);
const { BATCH, awaitBatch, deferred, runJsSuite } = require(${JSON.stringify(path.join(__dirname, 'suites', 'js-suite.js'))});
const gen = new Generator((yielder) => {
  let x = 0;
  for (;;) x = yielder.suspend(x + 1);
});
runJsSuite({
  js_roundtrip_ns: () => {
    for (let i = 0; i < BATCH; i++) gen.resume(i);
  },
  await_ns: deferred(awaitBatch),
});
`;

function once(checkout) {
  const result = spawnSync(process.execPath, ['-e', SUITE, path.join(checkout, 'dist', 'index.js')], {
    cwd: checkout,
    encoding: 'utf8',
    env: { ...process.env, FRINGE_BENCH_ROUNDS_JS: process.env.FRINGE_BENCH_ROUNDS_JS || '3' },
  });
  if (result.status !== 0) throw new Error(`${checkout}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

const ratios = { [a]: [], [b]: [] };
for (let i = 0; i < RUNS; i++) {
  for (const checkout of i % 2 === 0 ? [a, b] : [b, a]) {
    const out = once(checkout);
    ratios[checkout].push(out.js_roundtrip_ns / out.await_ns);
  }
}
const ma = median(ratios[a]);
const mb = median(ratios[b]);
console.log(JSON.stringify({ node: process.version, runs: RUNS, [a]: +ma.toFixed(3), [b]: +mb.toFixed(3), ratio: +(mb / ma).toFixed(3) }));
