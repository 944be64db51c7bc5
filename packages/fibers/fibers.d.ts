import Fiber = require('fringe/fibers');
export = Fiber;
