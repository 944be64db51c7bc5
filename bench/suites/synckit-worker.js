'use strict';
// The worker behind bench/suites/synckit.js: an async function that returns
// its argument.
const { runAsWorker } = require(process.env.SYNCKIT_MODULE);

runAsWorker(async (x) => x);
