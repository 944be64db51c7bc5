// require('fibers/future'): node-fibers' Future, implemented by fringe.
'use strict';
module.exports = require('fringe/fibers/future');
