// How many guarded stacks this machine's vm.max_map_count leaves room for,
// for tests that hold many generators suspended at once: each guarded stack
// costs two kernel mappings (docs/DESIGN.md, "Stacks"), and fringe refuses new
// stacks 4096 mappings before the cap (native/addon/mapping_budget.h,
// kHeadroom). The default cap is 65530, but machines set it lower or higher.

'use strict';
const fs = require('node:fs');

/** vm.max_map_count, read from /proc. */
function maxMapCount() {
  return Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
}

/**
 * Generators with guarded stacks that a process like this one can hold at
 * once: the cap, less fringe's headroom, the mappings this process already
 * has, and a margin for what the test itself maps (heap pages, code).
 */
function stacksThatFit(margin = 2000) {
  const mapped = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean).length;
  return Math.max(0, Math.floor((maxMapCount() - 4096 - mapped - margin) / 2));
}

module.exports = { maxMapCount, stacksThatFit };
