'use strict';
// synckit: a synchronous call into a worker thread that runs an async
// function (here one returning its argument at once); the caller blocks in
// Atomics.wait until the worker posts the result. One operation is one call.
// Against an await of a resolved value and a function* next() measured in
// the same process; each is a batch, see js-suite.js. SYNCKIT_MODULE is
// the installed package (bench/peers.js).

const path = require('node:path');
const { createSyncFn } = require(process.env.SYNCKIT_MODULE);
const { BATCH, awaitBatch, starBatch, deferred, runJsSuite } = require('./js-suite');

const call = createSyncFn(path.join(__dirname, 'synckit-worker.js'));

function callBatch() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += call(1);
  if (sum !== BATCH) throw new Error(`synckit calls returned the wrong values (sum ${sum})`);
}

runJsSuite({
  synckit_call_ns: callBatch,
  await_ns: deferred(awaitBatch),
  function_star_next_ns: starBatch,
});
