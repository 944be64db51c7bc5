#!/usr/bin/env node
'use strict';
// `npm run bench`: fringe next to what a user would pick instead. Runs each
// suite of bench/suites in its own process -- fringe's on this node, each
// peer's on the node it needs (bench/peers.js installs them) -- several
// times, alternating, and reports medians. Absolute times drift on a shared
// machine and differ between Node versions, so every figure is also given
// as a ratio to an `await` of a resolved value measured in the same process
// ("x await"), the median of the per-run ratios.
//
//   npm run bench                      the report; writes bench/RESULTS.md, bench/results.svg
//                                      and bench/scale.svg (the scale suite's cost curve)
//   npm run bench -- --json            the same, then one JSON object on the last line
//   npm run bench -- --quick           one run, fewer rounds (noisier)
//   npm run bench -- --targets         fringe's own targets only (no peers, writes nothing);
//                                      exits 1 when one is not met
//   npm run bench -- --out <dir>       write RESULTS.md and results.svg there instead
//   npm run bench -- --no-write        write nothing
//   npm run bench -- --from <file>     measure nothing: report the JSON object of an
//                                      earlier --json run (its last line) again
//
// Environment: FRINGE_BENCH_RUNS (processes per suite, default 3, --quick 1),
// FRINGE_BENCH_ROUNDS_JS / FRINGE_BENCH_ROUNDS (rounds inside a process),
// FRINGE_BENCH_MAX_TIME / FRINGE_BENCH_MIN_SAMPLES (benchmark.js options),
// FRINGE_BENCH_PEERS_DIR (the peer cache, default bench/.peers),
// FRINGE_BENCH_PEERS=fibers,jspi,... (which peers; "none" for none),
// FRINGE_BENCH_JSPI_NODE (the Node major for JSPI, default 24).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const peers = require('./peers');

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const quick = argv.includes('--quick');
const targetsOnly = argv.includes('--targets');
const outIndex = argv.indexOf('--out');
for (const option of ['--out', '--from']) {
  const i = argv.indexOf(option);
  if (i >= 0 && !argv[i + 1]) throw new Error(`${option} needs a path`);
}
const outDir = argv.includes('--no-write') || targetsOnly ? null : outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : __dirname;
const RUNS = Number(process.env.FRINGE_BENCH_RUNS || (quick ? 1 : 3));
const here = __dirname;

// fringe's suites, run by this node. `await` names the key of the await
// baseline measured in that suite's process; `keys` renames a suite's keys
// in the JSON where they differ (none do: these are the historical names).
const FRINGE_SUITES = [
  { name: 'native', file: 'native.js' },
  { name: 'roundtrip', file: 'roundtrip.js', await: 'await_ns' },
  { name: 'depth', file: 'depth.js', await: 'await_ns_depth_suite' },
  { name: 'wait', file: 'wait.js', await: 'await_ns_wait_suite' },
  { name: 'create', file: 'create.js', await: 'await_ns_create_suite' },
  { name: 'gc', file: 'gc.js' },
  { name: 'scale', file: 'scale.js' },
];

// How each peer's suite output lands in the JSON: suite key -> JSON key.
// Every peer suite measures its own `await_ns` and `function_star_next_ns`.
const PEER_KEYS = {
  fibers: {
    fiber_roundtrip_ns: 'fibers_roundtrip_ns',
    future_wait_ns: 'fibers_future_wait_ns',
    fiber_create_ns: 'fibers_create_run_ns',
    fiber_callback_wait_ns: 'fibers_callback_wait_ns',
    await_tick_ns: 'fibers_await_tick_ns',
  },
  jspi: { jspi_roundtrip_ns: 'jspi_roundtrip_ns' },
  synckit: { synckit_call_ns: 'synckit_call_ns' },
  deasync: { deasync_wait_ns: 'deasync_wait_ns' },
  kaciras_deasync: { deasync_wait_ns: 'kaciras_deasync_wait_ns' },
};
for (const [name, keys] of Object.entries(PEER_KEYS)) {
  keys.await_ns = `${name}_await_ns`;
  keys.function_star_next_ns = `${name}_function_star_next_ns`;
}

// The report's rows, grouped by what a user wants to do. `key` is a JSON
// key (ns per operation; its ratio is key with _ns -> _x_await), `proc` the
// process that measured it (a fringe suite's or a peer's), `kind` colours
// the chart: fringe, language (what Node has built in), peer.
const GROUPS = [
  {
    title: 'Suspend and resume',
    rows: [
      { key: 'js_roundtrip_ns', proc: 'roundtrip', kind: 'fringe', what: 'fringe: resume() + suspend() round trip' },
      { key: 'js_roundtrip_long_traces_ns', proc: 'roundtrip', kind: 'fringe', what: 'fringe: the same, with Generator.longStackTraces on' },
      { key: 'suspend_depth10_ns', proc: 'depth', kind: 'fringe', what: 'fringe: suspend() 10 plain calls deep, resume() back' },
      { key: 'function_star_next_ns', proc: 'roundtrip', kind: 'language', what: 'function*: next() + yield' },
      { key: 'star_depth10_ns', proc: 'depth', kind: 'language', what: 'yield* through 10 function* levels: next() + yield' },
      { key: 'async_depth10_ns', proc: 'depth', kind: 'language', what: '10 nested async calls, the innermost awaiting' },
      { key: 'fibers_roundtrip_ns', proc: 'fibers', kind: 'peer', what: 'node-fibers 5.0.3: fiber.run() + Fiber.yield()' },
      { key: 'jspi_roundtrip_ns', proc: 'jspi', kind: 'peer', what: 'WebAssembly JSPI: a suspending call (wasm frames only)' },
    ],
  },
  {
    title: 'Wait for a promise synchronously (here one already resolved)',
    rows: [
      { key: 'wait_in_run_ns', proc: 'wait', kind: 'fringe', what: 'fringe: wait(p) inside run()' },
      { key: 'run_wait_whole_ns', proc: 'wait', kind: 'fringe', what: 'fringe: await run(() => wait(p)), whole' },
      { key: 'fibers_future_wait_ns', proc: 'fibers', kind: 'peer', what: 'node-fibers: Future.fromPromise(p).wait()' },
      { key: 'deasync_wait_ns', proc: 'deasync', kind: 'peer', what: 'deasync 0.1.32: then() + loopWhile() (hangs inside promise jobs)' },
      { key: 'kaciras_deasync_wait_ns', proc: 'kaciras_deasync', kind: 'peer', what: '@kaciras/deasync 1.1.0: awaitSync(p) (hangs inside promise jobs)' },
      { key: 'synckit_call_ns', proc: 'synckit', kind: 'peer', what: 'synckit 0.12.3: a call (worker thread + Atomics.wait)' },
    ],
  },
  {
    title: 'Start a coroutine and run it to the end',
    rows: [
      { key: 'create_run_ns', proc: 'create', kind: 'fringe', what: 'fringe: new Generator(fn).resume() (pooled stack)' },
      { key: 'fibers_create_run_ns', proc: 'fibers', kind: 'peer', what: 'node-fibers: Fiber(fn).run()' },
    ],
  },
  {
    title: 'The unit',
    rows: [{ key: 'await_ns', proc: 'roundtrip', kind: 'language', what: 'await of a resolved value' }],
  },
];

// The project's own targets (issue 15 parts 2 and 3, and earlier ones):
// `npm run bench -- --targets` checks them; the user-facing report does not
// show them. `ratio` is a JSON key holding a ratio, or [numerator,
// denominator] keys of two numbers from the same process.
const TARGETS = [
  { what: 'native switch round trip / indirect call', ratio: ['native_swap_roundtrip_ns', 'indirect_call_ns'], max: 4 },
  { what: 'native switch round trip / glibc swapcontext', ratio: ['native_swap_roundtrip_ns', 'swapcontext_roundtrip_ns'], max: 1 / 50 },
  { what: 'JS round trip / await (first step)', ratio: 'js_roundtrip_x_await', max: 2 },
  { what: 'JS round trip / await', ratio: 'js_roundtrip_x_await', max: 1.5 },
  { what: 'JS round trip / function* next()', ratio: ['js_roundtrip_ns', 'function_star_next_ns'], max: 6 },
  { what: 'wait() of a resolved promise inside run() / await', ratio: 'wait_in_run_x_await', max: 2.25 },
  { what: 'await run(() => wait(p)), whole / await', ratio: 'run_wait_whole_x_await', max: 10 },
  { what: 'create + run / await', ratio: 'create_run_x_await', max: 5 },
  { what: 'minor GC with 10 000 suspended / with none', ratio: ['minor_gc_ms_10000', 'minor_gc_ms_0'], max: 2 },
  { what: 'RSS (anonymous) per suspended shallow generator (KiB)', value: 'rss_per_suspended_kib', max: 6 },
  { what: 'create a generator on a fresh stack, 10 000 kept suspended (µs)', value: 'create_fresh_stack_us', max: 10 },
  { what: 'create a generator on a fresh stack, up to the most the scale suite reached (µs)', value: 'scale_create_fresh_stack_us_max', max: 10 },
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (x, digits) => +x.toFixed(digits);
const log = (s) => process.stderr.write(`[bench] ${s}\n`);

/** Runs one suite process; its last stdout line is a JSON object. */
function runSuite(proc) {
  const env = { ...process.env, ...proc.env };
  if (quick) {
    env.FRINGE_BENCH_ROUNDS = env.FRINGE_BENCH_ROUNDS || '5';
    env.FRINGE_BENCH_ROUNDS_JS = env.FRINGE_BENCH_ROUNDS_JS || '1';
  }
  // Three rounds per process by default: the runs give the medians.
  env.FRINGE_BENCH_ROUNDS_JS = env.FRINGE_BENCH_ROUNDS_JS || '3';
  const result = spawnSync(proc.node, [...proc.args, path.join(here, 'suites', proc.file)], {
    encoding: 'utf8',
    env,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
  });
  const last = (result.stdout || '').trim().split('\n').pop();
  if (result.status !== 0 || !last) {
    const why = result.error ? result.error.message : `exit ${result.status}${result.signal ? ', ' + result.signal : ''}`;
    const error = new Error(`bench/suites/${proc.file} failed (${why}): ${peers.tail(result.stderr, 3)}`);
    error.stderr = result.stderr;
    throw error;
  }
  return JSON.parse(last);
}

/** The processes to run: fringe's suites, then each peer that could be prepared. */
function processes(skipped, versions) {
  const list = FRINGE_SUITES.map((s) => ({ ...s, node: process.execPath, args: ['--expose-gc'], env: {}, keys: {}, fringe: true }));
  versions.fringe = process.version;
  if (targetsOnly) return list;
  const wanted = process.env.FRINGE_BENCH_PEERS ? process.env.FRINGE_BENCH_PEERS.split(',') : null;
  for (const peer of peers.PEERS) {
    if (wanted && !wanted.includes(peer.name)) {
      skipped[peer.name] = 'not selected (FRINGE_BENCH_PEERS)';
      continue;
    }
    log(`preparing ${peer.what}`);
    const ready = peers.prepare(peer);
    if (ready.skipped) {
      skipped[peer.name] = ready.skipped;
      log(`  skipped: ${ready.skipped}`);
      continue;
    }
    versions[peer.name] = ready.version;
    list.push({ name: peer.name, file: peer.suite, await: 'await_ns', keys: PEER_KEYS[peer.name], ...ready });
  }
  return list;
}

function measure() {
  const skipped = {};
  const versions = {};
  const list = processes(skipped, versions);
  const outputs = new Map(list.map((p) => [p, []]));
  // Alternating: run i of every suite before run i + 1 of any, so that a
  // noisy stretch of the machine spreads over all of them.
  for (let run = 1; run <= RUNS; run++) {
    for (const proc of list) {
      if (skipped[proc.name]) continue;
      log(`run ${run}/${RUNS}: ${proc.file}${proc.fringe ? '' : ` (${proc.name}, Node ${proc.version})`}`);
      try {
        outputs.get(proc).push(runSuite(proc));
      } catch (error) {
        if (proc.fringe) {
          process.stderr.write(error.stderr || '');
          throw error;
        }
        // A peer that installed but does not run is reported, not measured.
        skipped[proc.name] = error.message;
        log(`  skipped: ${error.message}`);
      }
    }
  }
  const metrics = {};
  for (const proc of list) {
    if (skipped[proc.name]) continue;
    const runs = outputs.get(proc);
    for (const key of Object.keys(runs[0])) {
      const name = proc.keys[key] || key;
      metrics[name] = round(median(runs.map((r) => r[key])), key.includes('_ms_') ? 4 : 3);
      // The ratio to this process's own await, per run, then the median.
      if (proc.await && key.endsWith('_ns') && key !== proc.await && !key.startsWith('await_ns')) {
        metrics[name.replace(/_ns$/, '_x_await')] = round(median(runs.map((r) => r[key] / r[proc.await])), 3);
      }
    }
  }
  // Issue 15's name for the wait() measurement (the historical key stays).
  if ('wait_resolved_ns' in metrics) {
    metrics.wait_in_run_ns = metrics.wait_resolved_ns;
    metrics.wait_in_run_x_await = metrics.wait_resolved_x_await;
  }
  // A peer that could not run: its keys are null, and `skipped` says why.
  for (const name of Object.keys(skipped)) {
    for (const key of Object.values(PEER_KEYS[name] || {})) {
      metrics[key] = null;
      if (!/_await_ns$|_function_star_next_ns$/.test(key)) metrics[key.replace(/_ns$/, '_x_await')] = null;
    }
  }
  metrics.skipped = skipped;
  metrics.node_versions = versions;
  metrics.cpu = cpuModel();
  metrics.cores = os.cpus().length;
  metrics.stack_guard = require('../dist/binding.js').binding.stackGuard;
  metrics.date = new Date().toISOString().slice(0, 10);
  metrics.runs = RUNS;
  return metrics;
}

function cpuModel() {
  return ((os.cpus()[0] || {}).model || 'unknown CPU').trim();
}

// --- formatting ---------------------------------------------------------

/** 103 ns, 4 820 ns, 31.7 µs. */
function formatNs(ns) {
  if (ns >= 10000) return `${(ns / 1000).toFixed(1)} µs`;
  if (ns >= 100) return `${Math.round(ns).toString().replace(/\B(?=(\d{3})+$)/g, ' ')} ns`;
  return `${ns.toFixed(1)} ns`;
}
function formatX(x) {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
function formatRatio(value) {
  if (value >= 0.1) return `${value.toFixed(2)}x`;
  return `1/${(1 / value).toFixed(0)}`;
}
const major = (version) => (version ? version.replace(/^v/, '').split('.')[0] : '');

/** The rows of the report, each with its numbers or its skip reason. */
function rows(metrics) {
  const procOf = (proc) => (metrics.node_versions[proc] !== undefined ? proc : FRINGE_SUITES.some((s) => s.name === proc) ? 'fringe' : proc);
  return GROUPS.map((group) => ({
    title: group.title,
    rows: group.rows.map((row) => {
      const owner = procOf(row.proc);
      const ns = metrics[row.key];
      const x = row.key === 'await_ns' ? 1 : metrics[row.key.replace(/_ns$/, '_x_await')];
      const skipped = metrics.skipped[owner] || (ns == null ? 'not measured' : null);
      return { ...row, node: major(metrics.node_versions[owner]), ns, x, skipped };
    }),
  }));
}

function header(metrics) {
  return `${metrics.cpu}, ${metrics.cores} cores; median of ${metrics.runs} run${metrics.runs === 1 ? '' : 's'}; ${metrics.date}`;
}

function printReport(metrics) {
  console.log(`fringe benchmark: ${header(metrics)}\n`);
  const table = [];
  for (const group of rows(metrics)) {
    table.push([`-- ${group.title}`]);
    for (const r of group.rows) {
      table.push(r.skipped ? [r.what, '', 'skipped', r.skipped] : [r.what, `Node ${r.node}`, formatNs(r.ns), `${formatX(r.x)}x await`]);
    }
  }
  const w = [0, 1, 2].map((i) => Math.max(...table.filter((t) => t.length > 1).map((t) => t[i].length)));
  for (const t of table) {
    if (t.length === 1) console.log(t[0]);
    else console.log(`  ${t[0].padEnd(w[0])}  ${t[1].padEnd(w[1])}  ${t[2].padStart(w[2])}  ${t[3]}`);
  }
  console.log('\nx await: divided by an `await` of a resolved value measured in the same process.');
  console.log('\n-- Inside the addon, and memory');
  for (const line of addonLines(metrics)) console.log(`  ${line.what.padEnd(46)} ${line.value.padStart(10)}  ${line.note}`);
}

function addonLines(metrics) {
  const lines = [];
  const add = (key, what, unit, note = '') => {
    if (metrics[key] != null) lines.push({ what, value: `${metrics[key].toFixed(metrics[key] < 10 ? 2 : 1)} ${unit}`, note });
  };
  const per = (a, b, name) => (metrics[a] != null && metrics[b] ? `${formatRatio(metrics[a] / metrics[b])} ${name}` : '');
  add('native_swap_roundtrip_ns', 'native: context switch round trip', 'ns', [per('native_swap_roundtrip_ns', 'indirect_call_ns', 'indirect call'), per('native_swap_roundtrip_ns', 'swapcontext_roundtrip_ns', 'swapcontext')].join('; '));
  add('native_generator_roundtrip_ns', 'native: C++ Generator resume + suspend', 'ns', per('native_generator_roundtrip_ns', 'indirect_call_ns', 'indirect call'));
  add('swapcontext_roundtrip_ns', 'native: glibc swapcontext round trip', 'ns');
  add('indirect_call_ns', 'native: indirect call + return', 'ns');
  add('minor_gc_ms_10000', 'minor GC, 10 000 generators suspended', 'ms', per('minor_gc_ms_10000', 'minor_gc_ms_0', 'minor GC with none'));
  add('minor_gc_ms_0', 'minor GC, none suspended', 'ms');
  add('rss_per_suspended_kib', 'RSS (anonymous) per suspended shallow generator', 'KiB');
  add('create_fresh_stack_us', 'create a generator on a fresh stack (10 000 kept)', 'µs');
  add('full_gc_ms_10000', 'full GC, 10 000 generators suspended', 'ms', per('full_gc_ms_10000', 'full_gc_ms_0', 'full GC with none'));
  add('full_gc_ms_0', 'full GC, none suspended', 'ms');
  if (metrics.max_suspended != null) lines.push({ what: 'most generators suspended at once (scale suite)', value: String(metrics.max_suspended), note: metrics.stack_guard ? `stack guards: ${metrics.stack_guard}` : '' });
  return lines;
}

function writeMarkdown(metrics, file) {
  const md = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\`: ${header(metrics)}.`,
    '',
    'fringe next to what you would use instead. Each suite runs in its own process,',
    'on the Node version it needs; absolute times differ between versions and drift on',
    'a shared machine, so every figure is also divided by an `await` of a resolved value',
    'measured in that same process ("x await"). The two columns are separate medians',
    '(of the times, and of each run\'s ratio), so x await is not exactly the time over',
    'the `await` row; the `await` of each process is listed below the chart.',
    '',
    '| what | Node | per operation | x await |',
    '|---|---|---:|---:|',
  ];
  for (const group of rows(metrics)) {
    md.push(`| **${group.title}** | | | |`);
    for (const r of group.rows) {
      md.push(r.skipped ? `| ${r.what} | ${r.node} | skipped: ${r.skipped.replace(/\|/g, '\\|')} | |` : `| ${r.what} | ${r.node} | ${formatNs(r.ns)} | ${formatX(r.x)} |`);
    }
  }
  md.push('', '![ns per operation, log scale](results.svg)', '', '## The unit in each process', '', '| process | Node | await of a resolved value | function* next() |', '|---|---|---:|---:|');
  const unit = (label, proc, awaitKey, starKey) => {
    if (metrics[awaitKey] != null) md.push(`| ${label} | ${metrics.node_versions[proc]} | ${formatNs(metrics[awaitKey])} | ${metrics[starKey] != null ? formatNs(metrics[starKey]) : ''} |`);
  };
  unit('fringe: roundtrip suite', 'fringe', 'await_ns', 'function_star_next_ns');
  unit('fringe: depth suite', 'fringe', 'await_ns_depth_suite', 'function_star_next_ns_depth_suite');
  unit('fringe: wait suite', 'fringe', 'await_ns_wait_suite', null);
  unit('fringe: create suite', 'fringe', 'await_ns_create_suite', null);
  for (const name of Object.keys(PEER_KEYS)) unit(name, name, `${name}_await_ns`, `${name}_function_star_next_ns`);
  const skipped = Object.entries(metrics.skipped);
  if (skipped.length) {
    md.push('', '## Skipped', '', ...skipped.map(([name, why]) => `- ${name}: ${why}`));
  }
  md.push('', '## Inside the addon, and memory', '', '| measure | value | |', '|---|---:|---|', ...addonLines(metrics).map((l) => `| ${l.what} | ${l.value} | ${l.note} |`));
  md.push('', ...scaleMarkdown(metrics));
  md.push(
    '',
    "The project's own targets are checked by `npm run bench -- --targets`.",
    '',
    '```json',
    JSON.stringify(metrics, null, 2),
    '```',
    '',
  );
  fs.writeFileSync(file, md.join('\n'));
}

// The scale suite (bench/suites/scale.js): each measure at each count.
const SCALE_MEASURES = [
  { key: 'create_fresh_stack_us', what: 'create on a fresh stack, kept suspended (per generator, from 0)', unit: 'µs' },
  { key: 'roundtrip_ns', what: 'resume() + suspend(), cycling through all', unit: 'ns' },
  { key: 'create_run_ns', what: 'new Generator(fn).resume() to the end (pooled stack)', unit: 'ns' },
  { key: 'minor_gc_ms', what: 'minor GC', unit: 'ms' },
  { key: 'minor_gc_after_lap_ms', what: 'minor GC after resuming every one', unit: 'ms' },
  { key: 'full_gc_ms', what: 'full GC', unit: 'ms' },
  { key: 'rss_kib', what: 'RSS (anonymous) per suspended generator', unit: 'KiB' },
  { key: 'pagetables_kib', what: 'page tables per suspended generator', unit: 'KiB' },
];
function scaleCounts(metrics) {
  if (metrics.max_suspended == null) return [];
  return [['0', 0], ['1000', 1000], ['10000', 10000], ['max', metrics.max_suspended]].filter(([name]) =>
    SCALE_MEASURES.some((m) => metrics[`scale_${m.key}_${name}`] != null),
  );
}
function scaleMarkdown(metrics) {
  const counts = scaleCounts(metrics);
  if (!counts.length) return [];
  const fmt = (v) => (v == null ? '' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return [
    '## Many suspended generators (the scale suite)',
    '',
    `\`bench/suites/scale.js\`: one process adds suspended generators stage by stage (up to ${metrics.max_suspended}, the most it reached${metrics.stack_guard ? `; stack guards: ${metrics.stack_guard}` : ''}) and measures at each.`,
    '',
    `| measure | ${counts.map(([, n]) => `${n.toLocaleString('en').replace(/,/g, ' ')} suspended`).join(' | ')} |`,
    `|---|${counts.map(() => '---:').join('|')}|`,
    ...SCALE_MEASURES.map((m) => `| ${m.what} (${m.unit}) | ${counts.map(([name]) => fmt(metrics[`scale_${m.key}_${name}`])).join(' | ')} |`),
    '',
    '![the cost curve](scale.svg)',
  ];
}

// One small panel per measure, the count on a log axis (0 drawn at the left
// edge), linear in the measure.
function writeScaleSvg(metrics, file) {
  const counts = scaleCounts(metrics);
  if (!counts.length) return;
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const panelW = 340;
  const panelH = 170;
  const cols = 3;
  const left = 60;
  const top = 70;
  const maxCount = Math.max(...counts.map(([, n]) => n));
  const xOf = (n) => (n <= 0 ? 0 : (Math.log10(n) - 2) / (Math.log10(maxCount) - 2));  // 0 -> left edge, 100 below it
  const body = [];
  SCALE_MEASURES.forEach((m, i) => {
    const x0 = left + (i % cols) * (panelW + 40);
    const y0 = top + Math.floor(i / cols) * (panelH + 70);
    const points = counts.map(([name, n]) => [n, metrics[`scale_${m.key}_${name}`]]).filter(([, v]) => v != null);
    const hi = Math.max(...points.map(([, v]) => v)) * 1.15 || 1;
    const px = (n) => x0 + Math.max(0, xOf(n)) * panelW;
    const py = (v) => y0 + panelH - (v / hi) * panelH;
    body.push(`<text x="${x0}" y="${y0 - 10}" font-weight="bold">${esc(m.what)} (${m.unit})</text>`);
    body.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#ccc"/>`);
    for (const [name, n] of counts) {
      body.push(`<text x="${px(n).toFixed(1)}" y="${y0 + panelH + 15}" text-anchor="middle" fill="#555" font-size="11">${name === 'max' ? n : name}</text>`);
    }
    body.push(`<polyline fill="none" stroke="#1f6fb5" stroke-width="2" points="${points.map(([n, v]) => `${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`);
    for (const [n, v] of points) {
      body.push(`<circle cx="${px(n).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="#1f6fb5"/>`);
      body.push(`<text x="${(px(n) + 4).toFixed(1)}" y="${(py(v) - 6).toFixed(1)}" font-size="11">${v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)}</text>`);
    }
  });
  const rows = Math.ceil(SCALE_MEASURES.length / cols);
  const width = left + cols * (panelW + 40);
  const height = top + rows * (panelH + 70) + 10;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="16" y="24" font-size="17" font-weight="bold">Cost against the number of suspended generators (count on a log axis)</text>',
    `<text x="16" y="46" fill="#555">${esc(header(metrics))}; Node ${esc(metrics.node_versions.fringe)}${metrics.stack_guard ? `; stack guards: ${esc(metrics.stack_guard)}` : ''}. bench/suites/scale.js</text>`,
    ...body,
    '</svg>',
  ];
  fs.writeFileSync(file, svg.join('\n') + '\n');
}

// A horizontal bar per row, ns per operation on a log scale, grouped by
// what a user wants to do, fringe's bars beside the peers'.
function writeSvg(metrics, file) {
  const groups = rows(metrics);
  const measured = groups.flatMap((g) => g.rows).filter((r) => !r.skipped);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...measured.map((r) => r.ns)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...measured.map((r) => r.ns)))));
  const width = 1120;
  const nodeLeft = 440;
  const barLeft = 510;
  const barWidth = 420;
  const rowHeight = 22;
  const x = (ns) => barLeft + ((Math.log10(ns) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * barWidth;
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const colour = { fringe: '#1f6fb5', language: '#8c8c8c', peer: '#e07b39' };
  const body = [];
  let y = 100;
  for (const group of groups) {
    body.push(`<text x="16" y="${y + 15}" font-weight="bold">${esc(group.title)}</text>`);
    y += rowHeight;
    for (const r of group.rows) {
      body.push(`<text x="28" y="${y + 15}">${esc(r.what)}</text>`);
      if (r.node) body.push(`<text x="${nodeLeft}" y="${y + 15}" fill="#666">Node ${r.node}</text>`);
      if (r.skipped) {
        const why = r.skipped.length > 70 ? `${r.skipped.slice(0, 67)}...` : r.skipped;
        body.push(`<text x="${barLeft + 4}" y="${y + 15}" fill="#999" font-style="italic">skipped: ${esc(why)}</text>`);
      } else {
        const end = x(r.ns);
        body.push(`<rect x="${barLeft}" y="${y + 3}" width="${Math.max(1, end - barLeft).toFixed(1)}" height="15" fill="${colour[r.kind]}"/>`);
        body.push(`<text x="${(end + 6).toFixed(1)}" y="${y + 15}">${esc(formatNs(r.ns))} · ${formatX(r.x)}x await</text>`);
      }
      y += rowHeight;
    }
    y += 8;
  }
  const height = y + 44;
  const grid = [];
  for (let v = lo; v <= hi * 1.001; v *= 10) {
    grid.push(`<line x1="${x(v).toFixed(1)}" y1="92" x2="${x(v).toFixed(1)}" y2="${y}" stroke="#ddd"/>`);
    grid.push(`<text x="${x(v).toFixed(1)}" y="${y + 16}" text-anchor="middle" fill="#555">${v >= 1000 ? `${v / 1000} µs` : `${v} ns`}</text>`);
  }
  const legend = [
    ['fringe', 'fringe'],
    ['language', 'built into Node'],
    ['peer', 'what you would use instead'],
  ].map(([kind, label], i) => `<rect x="${16 + i * 230}" y="62" width="14" height="14" fill="${colour[kind]}"/><text x="${36 + i * 230}" y="74">${label}</text>`);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    '<rect width="100%" height="100%" fill="white"/>',
    '<text x="16" y="24" font-size="17" font-weight="bold">Time per operation (log scale: each grid line is 10x; shorter is faster)</text>',
    `<text x="16" y="46" fill="#555">${esc(header(metrics))}. x await: divided by an await measured in the same process.</text>`,
    ...legend,
    ...grid,
    ...body,
    `<text x="16" y="${height - 10}" fill="#777">npm run bench (bench/benchmark.js); each peer on the Node version it runs on, installed from npm at bench time.</text>`,
    '</svg>',
  ];
  fs.writeFileSync(file, svg.join('\n') + '\n');
}

function checkTargets(metrics) {
  const results = TARGETS.map((t) => {
    let value;
    if (t.value) value = metrics[t.value];
    else if (typeof t.ratio === 'string') value = metrics[t.ratio];
    else value = metrics[t.ratio[0]] / metrics[t.ratio[1]];
    return { ...t, measured: value, met: value <= t.max };
  });
  console.log(`fringe targets: Node ${metrics.node_versions.fringe}, ${header(metrics)}\n`);
  for (const r of results) {
    const shown = r.value ? r.measured.toFixed(2) : formatRatio(r.measured);
    const max = r.value ? String(r.max) : formatRatio(r.max);
    console.log(`  ${r.what.padEnd(52)} ${shown.padStart(7)}  target <= ${max.padEnd(6)} ${r.met ? 'met' : 'NOT met'}`);
  }
  return results;
}

const fromIndex = argv.indexOf('--from');
const metrics = fromIndex >= 0 ? JSON.parse(fs.readFileSync(argv[fromIndex + 1], 'utf8').trim().split('\n').pop()) : measure();
if (targetsOnly) {
  const results = checkTargets(metrics);
  if (json) console.log(JSON.stringify({ ...metrics, targets: results.map(({ what, measured, max, met }) => ({ what, measured: round(measured, 3), max, met })) }));
  process.exitCode = results.every((r) => r.met) ? 0 : 1;
} else {
  printReport(metrics);
  if (outDir) {
    fs.mkdirSync(outDir, { recursive: true });
    writeMarkdown(metrics, path.join(outDir, 'RESULTS.md'));
    writeSvg(metrics, path.join(outDir, 'results.svg'));
    writeScaleSvg(metrics, path.join(outDir, 'scale.svg'));
    console.log(`\nWrote ${path.relative(process.cwd(), path.join(outDir, 'RESULTS.md')) || 'RESULTS.md'} and results.svg.`);
  }
  if (json) console.log(JSON.stringify(metrics));
}
