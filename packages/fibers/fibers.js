// require('fibers') for projects that switch to this package (see fringe's
// docs/fibers.md): node-fibers' Fiber, implemented by fringe.
'use strict';
module.exports = require('fringe/fibers');
