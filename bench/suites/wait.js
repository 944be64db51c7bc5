'use strict';
// wait() of an already-resolved promise inside run() -- a switch out of the
// run's generator, a then() and a microtask, and a switch back in -- and a
// whole `await run(() => wait(p))` (a generator taken from the pool, one
// wait, its result settling run()'s promise, the caller's await), against an
// await of a resolved value measured in the same process. Each operation is
// a batch (for wait(), inside one run(), whose creation is spread over the
// batch); see js-suite.js.

const { run, wait } = require('../../dist/index.js');
const { BATCH, awaitBatch, deferred, runJsSuite } = require('./js-suite');

const resolved = Promise.resolve(1);
function waitBatch() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += wait(resolved);
  return sum;
}

async function runWaitBatch() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += await run(() => wait(resolved));
  if (sum !== BATCH) throw new Error(`run(() => wait(p)) returned the wrong values (sum ${sum})`);
}

runJsSuite({
  wait_resolved_ns: deferred(() =>
    run(waitBatch).then((sum) => {
      if (sum !== BATCH) throw new Error(`wait() returned the wrong values (sum ${sum})`);
    }),
  ),
  run_wait_whole_ns: deferred(runWaitBatch),
  await_ns_wait_suite: deferred(awaitBatch),
});
