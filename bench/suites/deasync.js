'use strict';
// deasync (or @kaciras/deasync): waiting synchronously for an
// already-resolved promise, the way their users do: a then() that records
// the value, then loopWhile() (deasync has no promise helper), or
// awaitSync() (@kaciras/deasync), which runs process._tickCallback() and
// libuv until the value is there. One operation is one wait. Against an
// await of a resolved value and a function* next() measured in the same
// process; each is a batch, see js-suite.js. DEASYNC_MODULE is the
// installed package (bench/peers.js).
//
// Neither can wait inside a promise job (a then() callback, code after an
// await): microtasks do not run again there, so loopWhile() never sees the
// value and spins. These benchmarks are synchronous and js-suite.js starts
// each round from a macrotask.

const deasync = require(process.env.DEASYNC_MODULE);
const { BATCH, awaitBatch, starBatch, deferred, runJsSuite } = require('./js-suite');

const resolved = Promise.resolve(1);

const waitFor =
  typeof deasync.awaitSync === 'function'
    ? (promise) => deasync.awaitSync(promise)
    : (promise) => {
        let done = false;
        let value;
        promise.then((v) => {
          value = v;
          done = true;
        });
        deasync.loopWhile(() => !done);
        return value;
      };

function waitBatch() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += waitFor(resolved);
  if (sum !== BATCH) throw new Error(`waits returned the wrong values (sum ${sum})`);
}

runJsSuite({
  deasync_wait_ns: waitBatch,
  await_ns: deferred(awaitBatch),
  function_star_next_ns: starBatch,
});
