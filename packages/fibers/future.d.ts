import Future = require('fringe/fibers/future');
export = Future;
