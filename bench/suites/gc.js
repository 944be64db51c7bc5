'use strict';
// Minor GC (scavenge) time with no suspended generator and with 10 000, and
// the resident memory each suspended shallow generator costs. Needs
// --expose-gc (bench/benchmark.js runs suites with it).
//
// Suspended generators that have stayed suspended through two scavenges are
// skipped by later scavenges (native/v8/scavenge_filter.h): the numbers are
// taken after a few scavenges, as a long-running program sees them.

const fs = require('node:fs');
const { Generator, suspend } = require('../../dist/index.js');
const { binding } = require('../../dist/binding.js');

const COUNT = 10000;
const SAMPLES = 40;

function minorGcMs() {
  for (let i = 0; i < 4; i++) gc({ type: 'minor' });  // settle
  const times = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = process.hrtime.bigint();
    gc({ type: 'minor' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

// Resident anonymous memory (RssAnon): the pages of node's own code that run
// for the first time while the generators are made (GC paths) are
// file-backed, paid once per process, not per generator.
function rss() {
  gc();
  gc();
  return 1024 * Number(/RssAnon:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
}

// Warm up code, pools and the heap, so that the baseline includes them.
const warm = [];
for (let i = 0; i < 500; i++) {
  const g = new Generator(() => suspend(i));
  g.resume();
  warm.push(g);
}
warm.forEach((g) => g.return());
warm.length = 0;

const minor0 = minorGcMs();
const before = rss();
const parked = [];
for (let i = 0; i < COUNT; i++) {
  const g = new Generator(() => {
    suspend(i);
  });
  g.resume();
  parked.push(g);
}
const after = rss();
const minor10000 = minorGcMs();
const settled = binding.stats().settledStates;
process.stdout.write(
  JSON.stringify({
    minor_gc_ms_0: +minor0.toFixed(4),
    minor_gc_ms_10000: +minor10000.toFixed(4),
    rss_per_suspended_kib: +((after - before) / COUNT / 1024).toFixed(2),
    settled_suspended: settled,
  }) + '\n',
);
