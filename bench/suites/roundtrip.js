'use strict';
// A JavaScript generator's resume + suspend round trip, against the nearest
// things Node has: a function* generator's next() and an await of a resolved
// value. Each operation is a batch; see js-suite.js.

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
function functionStar() {
  for (let i = 0; i < BATCH; i++) it.next(i);
}

runJsSuite({
  js_roundtrip_ns: roundtrip,
  function_star_next_ns: functionStar,
  await_ns: deferred(awaitBatch),
});
