'use strict';
// A JavaScript generator's resume + suspend round trip, against the nearest
// things Node has: a function* generator's next() and an await of a resolved
// value; and the same round trip with Generator.longStackTraces on, which
// captures the resumer's stack at every resume (its cost, as a ratio to the
// plain round trip of the same process). Each operation is a batch; see
// js-suite.js.

const { Generator } = require('../../dist/index.js');
const { BATCH, awaitBatch, deferred, runJsSuite } = require('./js-suite');

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

function roundtrip() {
  for (let i = 0; i < BATCH; i++) gen.resume(i);
}
const traced = new Generator((yielder) => {
  let x = 0;
  for (;;) x = yielder.suspend(x + 1);
});
function roundtripLongTraces() {
  Generator.longStackTraces = true;
  for (let i = 0; i < BATCH; i++) traced.resume(i);
  Generator.longStackTraces = false;
}
function functionStar() {
  for (let i = 0; i < BATCH; i++) it.next(i);
}

runJsSuite({
  js_roundtrip_ns: roundtrip,
  js_roundtrip_long_traces_ns: roundtripLongTraces,
  function_star_next_ns: functionStar,
  await_ns: deferred(awaitBatch),
});
