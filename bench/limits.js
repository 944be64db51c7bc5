#!/usr/bin/env node
'use strict';
// The numbers docs/API.md ("Choosing a stack size", "Generator.poolSize",
// "Collection") and docs/async.md (Limits) quote: how deep a typical
// recursive body gets on a stack of each size, how many run()s can wait at
// once, and what creating and ending generators costs.
//
//   node bench/limits.js            both
//   node bench/limits.js depth      frames per stack size
//   node bench/limits.js runs       pending runs until run() throws
//   node bench/limits.js create     cost of creating and running a generator,
//                                   by where its stack comes from
//   node bench/limits.js ending     cost of a generator that suspends and is
//                                   ended with return(), against one dropped
//                                   for the GC to find and unwind
//   node bench/limits.js kept       cost of creating 10 000 generators that
//                                   stay suspended: on fresh stacks, against
//                                   stacks a warmed pool holds
//   node bench/limits.js connections  examples/line-server.js with 5 000
//                                   clients at once: one run() per
//                                   connection against one async function
//
// Each measurement runs in a fresh process (a clean heap, and no code
// compiled by an earlier measurement); depths are the median of 5 processes.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const KiB = 1024;
const SIZES = [128 * KiB, 256 * KiB, 512 * KiB, 1024 * KiB, 4096 * KiB];

// The child side: prints one number.
const [mode, arg] = process.argv.slice(2);
if (mode === '--depth') {
  const { Generator } = require(path.join(__dirname, '..'));
  // A typical body: a recursive function with a few locals that allocates
  // and calls a helper on the way down (a tree walker, a recursive-descent
  // parser). Fresh in this process, so it starts out interpreted.
  let deepest = 0;
  const helper = (node) => node.depth * 2 + 1;
  function walk(depth, path) {
    const node = { depth, name: `n${depth}`, children: [] };
    const weight = helper(node);
    deepest = depth;
    return walk(depth + 1, path) + weight;
  }
  const body = () => {
    try {
      walk(0, []);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
    return deepest;
  };
  console.log(arg === 'main' ? body() : new Generator(body, Number(arg)).resume());
  process.exit(0);
}
if (mode === '--runs') {
  const { run, wait } = require(path.join(__dirname, '..'));
  const never = new Promise(() => {});
  let pending = 0;
  try {
    for (;;) {
      run(() => wait(never));
      pending++;
    }
  } catch (e) {
    console.log(JSON.stringify({ pending, code: e.code, message: e.message }));
  }
  process.exit(0);
}

if (mode === '--create') {
  const { Generator } = require(path.join(__dirname, '..'));
  const body = () => 1;
  const N = 20000;
  const time = (make) => {
    for (let i = 0; i < 2000; i++) make().resume();   // warm up
    const best = [];
    for (let round = 0; round < 5; round++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < N; i++) make().resume();
      best.push(Number(process.hrtime.bigint() - start) / N);
    }
    return Math.min(...best);
  };
  let reused = new Generator(body, 256 * KiB);
  reused.resume();
  const stack = reused.unwrap();
  console.log(JSON.stringify({
    pooled: time(() => new Generator(body)),
    sized: time(() => new Generator(body, 256 * KiB)),
    osStack: time(() => new Generator(body, stack)),
  }));
  process.exit(0);
}

if (mode === '--ending') {
  // 50 000 generators that suspend once; each ended at once (its stack goes
  // back to the pool for the next), or dropped (collected, then unwound at
  // a later creation: meanwhile each new one needs a fresh stack).
  const { Generator, suspend } = require(path.join(__dirname, '..'));
  const N = 50000;
  for (let i = 0; i < 2000; i++) new Generator(() => i).resume();
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const generator = new Generator(() => {
      for (;;) suspend();
    });
    generator.resume();
    if (arg === 'return') generator.return();
  }
  console.log(Number(process.hrtime.bigint() - start) / N);
  process.exit(0);
}

if (mode === '--kept') {
  // Both sides first make 10 000 generators, let each suspend and end them
  // with return(). With Generator.poolSize raised to 10 000 their fibers
  // (stacks with the pages they touched) stay in the pool ('warm'); with the
  // default 64 all but 64 are unmapped ('fresh'). Then 10 000 more are made
  // and kept suspended: from the pool, or each on a fresh stack.
  const { Generator, suspend } = require(path.join(__dirname, '..'));
  const N = 10000;
  if (arg === 'warm') Generator.poolSize = N;
  const body = () => {
    for (;;) suspend();
  };
  const first = [];
  for (let i = 0; i < N; i++) {
    const generator = new Generator(body);
    generator.resume();
    first.push(generator);
  }
  for (const generator of first) generator.return();
  const kept = [];
  const faults = process.resourceUsage().minorPageFault;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const generator = new Generator(body);
    generator.resume();
    kept.push(generator);
  }
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(JSON.stringify({ ns, faults: (process.resourceUsage().minorPageFault - faults) / N }));
  process.exit(0);
}

function child(args) {
  const result = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
const what = mode ?? 'all';
console.log(`node ${process.version}, ${require('node:os').cpus().length} cores`);
if (what === 'all' || what === 'depth') {
  console.log('\nframes of a typical recursive body (median of 5 processes):');
  for (const size of [...SIZES, 'main']) {
    const depths = Array.from({ length: 5 }, () => Number(child(['--depth', String(size)])));
    const label = size === 'main' ? 'main thread (V8 default, 984 KiB)' : `${size / KiB} KiB stack`;
    console.log(`  ${label.padEnd(36)} ${String(median(depths)).padStart(7)} frames  (${Math.min(...depths)}..${Math.max(...depths)})`);
  }
}
if (what === 'all' || what === 'create') {
  const r = JSON.parse(child(['--create']));
  console.log('\nnew Generator(() => 1).resume(), best of 5 rounds of 20 000:');
  console.log(`  default size, pooled stack           ${r.pooled.toFixed(0).padStart(7)} ns`);
  console.log(`  256 KiB, a stack mapped per generator ${r.sized.toFixed(0).padStart(6)} ns`);
  console.log(`  256 KiB, one OsStack reused          ${r.osStack.toFixed(0).padStart(7)} ns`);
}
if (what === 'all' || what === 'ending') {
  // Alternating processes, so that both see the same machine.
  const returned = [];
  const dropped = [];
  for (let i = 0; i < 3; i++) {
    returned.push(Number(child(['--ending', 'return'])));
    dropped.push(Number(child(['--ending', 'drop'])));
  }
  const [r, d] = [median(returned), median(dropped)];
  console.log('\na generator that suspends once, 50 000 in a loop (median of 3 processes each):');
  console.log(`  ended with return()                  ${(r / 1000).toFixed(2).padStart(7)} µs`);
  console.log(`  dropped, collected and unwound       ${(d / 1000).toFixed(2).padStart(7)} µs  (${(d / r).toFixed(1)}x)`);
}
if (what === 'all' || what === 'kept') {
  // Alternating processes, so that both see the same machine.
  const fresh = [];
  const warm = [];
  for (let i = 0; i < 3; i++) {
    fresh.push(JSON.parse(child(['--kept', 'fresh'])));
    warm.push(JSON.parse(child(['--kept', 'warm'])));
  }
  const byTime = (runs) => median(runs.map((run) => run.ns));
  const faults = (runs) => median(runs.map((run) => run.faults)).toFixed(2);
  const [f, w] = [byTime(fresh), byTime(warm)];
  console.log('\n10 000 generators made and kept suspended (median of 3 processes each):');
  console.log(`  each on a fresh stack                ${(f / 1000).toFixed(2).padStart(7)} µs  ${faults(fresh)} page faults each`);
  console.log(`  from a pool warmed to 10 000         ${(w / 1000).toFixed(2).padStart(7)} µs  ${faults(warm)} page faults each  (fresh / warm: ${(f / w).toFixed(1)})`);
}
if (what === 'all' || what === 'connections') {
  // Alternating processes, so that both see the same machine.
  const example = path.join(__dirname, '..', 'examples', 'line-server.js');
  const measure = (handler) => {
    const result = spawnSync(process.execPath, ['--expose-gc', example, '--clients', '5000', '--handler', handler, '--stats'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`line-server.js --handler ${handler}: ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1));
  };
  const runs = { run: [], async: [] };
  for (let i = 0; i < 3; i++) for (const handler of ['run', 'async']) runs[handler].push(measure(handler));
  const ms = (h) => median(runs[h].map((r) => r.ms));
  const kib = (h) => median(runs[h].map((r) => r.rssPerConnectionKiB));
  console.log('\nexamples/line-server.js, 5 000 clients connected at once, 3 lines each (median of 3 processes each):');
  console.log(`  one run() per connection (readLine() waits)    ${ms('run').toFixed(0).padStart(6)} ms  ${kib('run').toFixed(1).padStart(5)} KiB RSS per connection`);
  console.log(`  one async function per connection (awaits)     ${ms('async').toFixed(0).padStart(6)} ms  ${kib('async').toFixed(1).padStart(5)} KiB RSS per connection`);
  console.log(`  run() / async                                  ${(ms('run') / ms('async')).toFixed(2).padStart(6)}x     ${(kib('run') - kib('async')).toFixed(1).padStart(5)} KiB more per connection`);
}
if (what === 'all' || what === 'runs') {
  const fs = require('node:fs');
  const maps = fs.existsSync('/proc/sys/vm/max_map_count') ? fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim() : '?';
  const report = JSON.parse(child(['--runs']));
  console.log(`\npending run()s waiting for a promise that never settles, vm.max_map_count ${maps}:`);
  console.log(`  ${report.pending} runs, then ${report.code}: ${report.message}`);
}
