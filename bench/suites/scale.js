'use strict';
// The cost curve of many suspended generators (issue 17): at 0, 1 000,
// 10 000 and the largest count this process reaches (FRINGE_BENCH_SCALE_MAX,
// default 200 000; fewer where stacks run out: vm.max_map_count on kernels
// without guard regions, or memory), in one process, adding generators
// between the stages:
//
//   create_fresh_stack_us   new Generator(body).resume() to its first suspend
//                           and kept suspended: every one maps (or carves) a
//                           fresh stack. Per generator, from 0 to the stage.
//   create_run_ns           new Generator(fn).resume() to the end (pooled),
//                           the suspended ones settled (after a full GC and
//                           scavenges that leave them skipped: DESIGN 4)
//   roundtrip_ns            resume() + suspend() of one of them, cycling
//                           through all: the other suspended ones around.
//   minor_gc_after_lap_ms   the scavenge right after those round trips: it
//                           visits every generator resumed since the last
//                           (so does the one after it; then they are settled)
//   minor_gc_ms, full_gc_ms gc({ type: 'minor' }) and gc(): medians, settled
//   rss_kib                 RSS (anonymous) over stage 0's, per suspended generator
//   pagetables_kib          the kernel's page tables (VmPTE) over stage 0's, per
//                           suspended generator: not in RSS, but memory all the
//                           same (4 KiB for each 2 MiB of address space touched)
//
// Keys: scale_<measure>_<count> (count "max" for the last stage), with
// max_suspended the largest count reached; and the report's names for some:
// create_fresh_stack_us (10 000), full_gc_ms_0 and full_gc_ms_10000. Needs
// --expose-gc (bench/benchmark.js runs suites with it).

const fs = require('node:fs');
const { Generator, suspend } = require('../../dist/index.js');

const MAX = Number(process.env.FRINGE_BENCH_SCALE_MAX || 200000);
const STAGES = [0, 1000, 10000, MAX].filter((n, i, all) => n <= MAX && all.indexOf(n) === i);
const now = () => process.hrtime.bigint();
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

function timeMs(fn, samples) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const t0 = now();
    fn();
    times.push(Number(now() - t0) / 1e6);
  }
  return median(times);
}

// Resident anonymous memory (RssAnon), as bench/suites/gc.js measures it,
// and the page tables (VmPTE), after full GCs.
function memoryAfterGc() {
  gc();
  gc();
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)[1]);
  return { rss: 1024 * kib('RssAnon'), pageTables: 1024 * kib('VmPTE') };
}

function settle() {
  gc();
  for (let i = 0; i < 4; i++) gc({ type: 'minor' });
}

// Warm up code and the pool, so that stage 0 includes them.
for (let i = 0; i < 2000; i++) new Generator(() => i).resume();
const warm = [];
for (let i = 0; i < 200; i++) {
  const g = new Generator(() => {
    for (;;) suspend();
  });
  g.resume();
  warm.push(g);
}
warm.forEach((g) => g.return());
warm.length = 0;
gc();

const held = [];
let createdNs = 0n;
let failed = null;
const out = {};
let base = null;
let reached = 0;

for (const stage of STAGES) {
  // Grow to `stage`: each body suspends in a loop, so that round trips go on.
  const t0 = now();
  while (held.length < stage) {
    let g;
    try {
      g = new Generator(() => {
        for (;;) suspend();
      });
      g.resume();
    } catch (error) {
      failed = `${error.code || error.name}: ${error.message}`;
      break;
    }
    held.push(g);
  }
  createdNs += now() - t0;
  const count = held.length;
  const name = stage === MAX && stage > 10000 ? 'max' : String(stage);
  if (count > 0) out[`scale_create_fresh_stack_us_${name}`] = +(Number(createdNs) / 1e3 / count).toFixed(3);

  // A full GC first: the creations may have started incremental marking
  // (V8's heap limit, the external-memory report), and while it runs every
  // scavenge also does marking steps (1-7 ms at 200 000, not the
  // scavenge's own cost). Then settle (scavenge_filter.h), so that what
  // follows is timed with the suspended generators at rest.
  settle();
  const t2 = now();
  for (let i = 0; i < 10000; i++) new Generator(() => i).resume();
  out[`scale_create_run_ns_${name}`] = +(Number(now() - t2) / 10000).toFixed(1);

  // Round trips through all of them (at least 20 000 in all). Each one
  // resumed may now hold young objects, so the next two scavenges visit it
  // again: the first is timed, as what a lap through all costs later.
  const laps = count === 0 ? 0 : Math.max(1, Math.ceil(20000 / count));
  if (count > 0) {
    settle();
    const t1 = now();
    for (let lap = 0; lap < laps; lap++) for (let i = 0; i < count; i++) held[i].resume();
    out[`scale_roundtrip_ns_${name}`] = +(Number(now() - t1) / (laps * count)).toFixed(1);
    out[`scale_minor_gc_after_lap_ms_${name}`] = +timeMs(() => gc({ type: 'minor' }), 1).toFixed(4);
  }

  settle();
  out[`scale_minor_gc_ms_${name}`] = +timeMs(() => gc({ type: 'minor' }), 20).toFixed(4);
  out[`scale_full_gc_ms_${name}`] = +timeMs(() => gc(), count >= 100000 ? 3 : 7).toFixed(4);
  const memory = memoryAfterGc();
  if (stage === 0) base = memory;
  else {
    out[`scale_rss_kib_${name}`] = +((memory.rss - base.rss) / count / 1024).toFixed(2);
    out[`scale_pagetables_kib_${name}`] = +((memory.pageTables - base.pageTables) / count / 1024).toFixed(2);
  }
  reached = count;
  if (failed) break;
}

out.max_suspended = reached;
out.create_fresh_stack_us = out.scale_create_fresh_stack_us_10000;
out.full_gc_ms_0 = out.scale_full_gc_ms_0;
out.full_gc_ms_10000 = out.scale_full_gc_ms_10000;
if (failed) process.stderr.write(`[scale] stopped at ${reached}: ${failed}\n`);
process.stdout.write(JSON.stringify(out) + '\n');
