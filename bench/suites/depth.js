'use strict';
// Suspending 10 calls deep, three ways, each against an await of a resolved
// value and a function* next() measured in the same process (the ratios are
// what matter on a shared machine). One operation is one suspension at depth
// 10 and the resumption back to it; each is a batch, see js-suite.js.
//
// - fringe: the body calls down(10), ten plain function frames; the
//   innermost suspend()s and a resume() goes straight back into it. The
//   frames stay on the generator's stack between round trips.
// - function*: ten generators, each delegating to the next with yield*;
//   every next() passes through all ten to reach the innermost yield.
// - async: ten async functions, each awaiting the next; the innermost
//   awaits a resolved value. An async chain cannot stay suspended in the
//   middle, so every operation builds and settles the ten frames and the
//   caller's await of the outermost: what code written with async pays for
//   each suspension 10 calls deep.

const { Generator, suspend } = require('../../dist/index.js');
const { BATCH, awaitBatch, starBatch, deferred, runJsSuite } = require('./js-suite');

const DEPTH = 10;

// down(n): n plain frames, the innermost suspending forever.
function down(n) {
  if (n === 1) {
    for (;;) suspend(n);
  }
  return down(n - 1) + 1;
}
const deep = new Generator(() => down(DEPTH));
deep.resume();
function suspendDepth() {
  for (let i = 0; i < BATCH; i++) deep.resume();
}

// star(n): n generator frames, the innermost yielding forever.
function* star(n) {
  if (n === 1) {
    for (;;) yield n;
  }
  return (yield* star(n - 1)) + 1;
}
const stars = star(DEPTH);
stars.next();
function starDepth() {
  for (let i = 0; i < BATCH; i++) stars.next();
}

// nested(n): n async frames, the innermost awaiting a resolved value.
async function nested(n) {
  if (n === 1) return await n;
  return (await nested(n - 1)) + 1;
}
async function asyncDepth() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += await nested(DEPTH);
  if (sum !== BATCH * DEPTH) throw new Error(`the async chain returned the wrong values (sum ${sum})`);
}

runJsSuite({
  suspend_depth10_ns: suspendDepth,
  star_depth10_ns: starDepth,
  async_depth10_ns: deferred(asyncDepth),
  await_ns_depth_suite: deferred(awaitBatch),
  function_star_next_ns_depth_suite: starBatch,
});
