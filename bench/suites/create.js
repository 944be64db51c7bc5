'use strict';
// Creating a generator on a pooled stack, running it to completion, and
// letting it go -- against an await round trip measured in the same process
// (the ratio is what matters on a shared machine). See js-suite.js.

const { Generator } = require('../../dist/index.js');
const { BATCH, awaitBatch, deferred, runJsSuite } = require('./js-suite');

function createRun() {
  let sum = 0;
  for (let i = 0; i < BATCH; i++) sum += new Generator(() => i).resume();
  return sum;
}

runJsSuite({
  create_run_ns: createRun,
  await_ns_create_suite: deferred(awaitBatch),
});
