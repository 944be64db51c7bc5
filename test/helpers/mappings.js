// How many guarded stacks this machine's vm.max_map_count leaves room for,
// for tests that hold many generators suspended at once: where guard pages
// are made with mprotect each guarded stack costs two kernel mappings
// (docs/DESIGN.md, "Stacks"); with guard regions (Linux 6.13+) stacks are
// carved 64 to a mapping and the cap stops mattering. fringe refuses new
// stacks 4096 mappings before the cap (native/addon/mapping_budget.h,
// kHeadroom). The default cap is 65530, but machines set it lower or higher.

'use strict';
const fs = require('node:fs');
const { binding } = require('../../dist/binding');

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
  const perStack = binding.stackGuard === 'guard-region' ? 1 / 64 : 2;
  return Math.max(0, Math.floor((maxMapCount() - 4096 - mapped - margin) / perStack));
}

module.exports = { maxMapCount, stacksThatFit };
