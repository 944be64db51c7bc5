'use strict';
// node-fibers' costs, in whichever process runs it: bench/fibers.js starts
// it under Node 14 with node-fibers 5.0.3 (FIBERS_MODULE=fibers) and under
// this Node with fringe/fibers, and compares each to an `await` of a
// resolved value measured in the same process. Kept to what Node 14 runs.
// Each operation is a batch; see js-suite.js.

const Fiber = require(process.env.FIBERS_MODULE || '../../dist/fibers.js');
const Future = require(process.env.FUTURE_MODULE || '../../dist/fibers-future.js');
const { BATCH, awaitBatch, starBatch, deferred, runJsSuite } = require('./js-suite');

// run() + Fiber.yield(): one round trip into a fiber and out.
const looping = Fiber(() => {
  for (;;) Fiber.yield();
});
looping.run();
function roundtrip() {
  for (let i = 0; i < BATCH; i++) looping.run();
}

// Fiber(fn).run() of a function that returns at once: a fiber's whole life.
function noop() {}
function create() {
  for (let i = 0; i < BATCH; i++) Fiber(noop).run();
}

// What sync, synchronize and Future.wrap() do for every call: start an
// asynchronous operation (here one that calls back on the next tick), yield
// until its callback runs the fiber again.
function callbackWait() {
  return new Promise((resolve) => {
    Fiber(() => {
      const fiber = Fiber.current;
      for (let i = 0; i < BATCH; i++) {
        let done = false;
        let waiting = false;
        process.nextTick(() => {
          done = true;
          if (waiting) fiber.run();
        });
        if (!done) {
          waiting = true;
          Fiber.yield();
        }
      }
      resolve();
    }).run();
  });
}

// Future.fromPromise(p).wait() of an already-resolved promise inside a
// fiber: node-fibers' way to wait for a promise synchronously.
const resolved = Promise.resolve(1);
function futureWait() {
  return new Promise((resolve, reject) => {
    Fiber(() => {
      let sum = 0;
      for (let i = 0; i < BATCH; i++) sum += Future.fromPromise(resolved).wait();
      if (sum === BATCH) resolve();
      else reject(new Error(`Future.wait() returned the wrong values (sum ${sum})`));
    }).run();
  });
}

// Its async/await counterpart: await a promise resolved on the next tick.
async function tickAwait() {
  for (let i = 0; i < BATCH; i++) await new Promise((resolve) => process.nextTick(resolve));
}

runJsSuite({
  fiber_roundtrip_ns: roundtrip,
  fiber_create_ns: create,
  fiber_callback_wait_ns: deferred(callbackWait),
  await_tick_ns: deferred(tickAwait),
  future_wait_ns: deferred(futureWait),
  await_ns: deferred(awaitBatch),
  function_star_next_ns: starBatch,
});
