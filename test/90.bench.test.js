'use strict';
// `npm run bench` (bench/benchmark.js), in a short mode: fringe's suites run
// (one process each, tiny benchmark times, so the numbers mean nothing
// here), the JSON line holds the keys the report and users' scripts read,
// and with the peer cache pointed where nothing can be created every peer is
// reported as skipped with the reason, its figures null: nothing is filled
// in for a peer that did not run, and no network is needed. The full run
// (peers installed from npm, three runs of every suite) is too slow for the
// suite; `npm run bench` does it.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers/child');
const { secondaryRun } = require('./helpers/v8flags');

// Keys `npm run bench -- --json` had before the peers came, and must keep.
const HISTORICAL = [
  'native_swap_roundtrip_ns',
  'native_generator_roundtrip_ns',
  'swapcontext_roundtrip_ns',
  'indirect_call_ns',
  'js_roundtrip_ns',
  'function_star_next_ns',
  'await_ns',
  'create_run_ns',
  'await_ns_create_suite',
  'wait_resolved_ns',
  'await_ns_wait_suite',
  'minor_gc_ms_0',
  'minor_gc_ms_10000',
  'rss_per_suspended_kib',
  'settled_suspended',
];
// fringe's and the language's figures issue 15 asks for.
const ADDED = ['suspend_depth10_ns', 'star_depth10_ns', 'async_depth10_ns', 'wait_in_run_ns', 'run_wait_whole_ns', 'create_fresh_stack_us', 'full_gc_ms_0', 'full_gc_ms_10000', 'max_suspended', 'js_roundtrip_long_traces_ns'];
// Each peer's ratio to the await of its own process, and the peer's name
// in `skipped`.
const PEER_RATIOS = {
  fibers: ['fibers_roundtrip_x_await', 'fibers_create_run_x_await', 'fibers_future_wait_x_await'],
  jspi: ['jspi_roundtrip_x_await'],
  synckit: ['synckit_call_x_await'],
  deasync: ['deasync_wait_x_await'],
  kaciras_deasync: ['kaciras_deasync_wait_x_await'],
};

describe('npm run bench (short mode)', function () {
  this.timeout(3 * 60 * 1000);
  let dir;
  let run;
  let metrics;

  before(function () {
    // It runs its suites under the node that runs it; one node is enough
    // for a smoke test.
    if (secondaryRun) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-bench-'));
    // A regular file: no directory can be made under it, even by root.
    const blocker = path.join(dir, 'not-a-directory');
    fs.writeFileSync(blocker, '');
    run = spawnSync(process.execPath, [path.join(root, 'bench', 'benchmark.js'), '--quick', '--json', '--out', path.join(dir, 'out')], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        FRINGE_BENCH_PEERS_DIR: path.join(blocker, 'peers'),
        FRINGE_BENCH_MAX_TIME: '0.02',
        FRINGE_BENCH_MIN_SAMPLES: '3',
        FRINGE_BENCH_ROUNDS: '2',
        // The scale suite's stages 0, 1 000 and 10 000 (the 10 000 keys), and
        // a last stage of 12 000 instead of 200 000.
        FRINGE_BENCH_SCALE_MAX: '12000',
      },
      maxBuffer: 16 << 20,
    });
    if (run.status === 0) metrics = JSON.parse(run.stdout.trim().split('\n').pop());
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('runs, and ends with one JSON object', () => {
    assert.equal(run.status, 0, `bench failed:\n${run.stderr}`);
    assert.equal(typeof metrics, 'object');
  });

  it('keeps the historical keys and has the added ones, each a positive number', () => {
    for (const key of [...HISTORICAL, ...ADDED]) {
      assert.ok(typeof metrics[key] === 'number' && metrics[key] > 0, `${key}: ${metrics[key]}`);
    }
    for (const key of ['js_roundtrip_x_await', 'suspend_depth10_x_await', 'wait_in_run_x_await', 'run_wait_whole_x_await', 'create_run_x_await']) {
      assert.ok(typeof metrics[key] === 'number' && metrics[key] > 0, `${key}: ${metrics[key]}`);
    }
    assert.equal(metrics.wait_in_run_ns, metrics.wait_resolved_ns, 'wait_in_run_ns is issue 15\'s name for wait_resolved_ns');
    assert.equal(metrics.node_versions.fringe, process.version);
    assert.equal(typeof metrics.cpu, 'string');
  });

  it('reports each peer it could not install as skipped, with the reason, its figures null', () => {
    for (const [peer, keys] of Object.entries(PEER_RATIOS)) {
      assert.match(metrics.skipped[peer] || '', /cannot use the peer cache .*ENOTDIR/, `skipped.${peer}`);
      for (const key of keys) assert.ok(key in metrics && metrics[key] === null, `${key}: ${metrics[key]}`);
      assert.equal(metrics.node_versions[peer], undefined);
    }
  });

  it('runs the scale suite up to its largest count, and plots it in scale.svg', () => {
    assert.equal(metrics.max_suspended, 12000);
    for (const count of ['0', '1000', '10000', 'max']) assert.ok(metrics[`scale_full_gc_ms_${count}`] > 0, count);
    for (const count of ['1000', '10000', 'max']) {
      assert.ok(metrics[`scale_minor_gc_after_lap_ms_${count}`] > 0, count);
      assert.ok(Number.isFinite(metrics[`scale_pagetables_kib_${count}`]), count);
    }
    assert.equal(metrics.create_fresh_stack_us, metrics.scale_create_fresh_stack_us_10000);
    assert.ok(['guard-region', 'mprotect'].includes(metrics.stack_guard));
    const md = fs.readFileSync(path.join(dir, 'out', 'RESULTS.md'), 'utf8');
    assert.match(md, /## Many suspended generators \(the scale suite\)\n/);
    assert.match(md, /\| full GC \(ms\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    const svg = fs.readFileSync(path.join(dir, 'out', 'scale.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) || []).length, 8, 'one curve per measure');
  });

  it('writes the report and the chart, showing the skipped peers', () => {
    const md = fs.readFileSync(path.join(dir, 'out', 'RESULTS.md'), 'utf8');
    assert.match(md, /\| what \| Node \| per operation \| x await \|/);
    assert.match(md, /\| fringe: resume\(\) \+ suspend\(\) round trip \| 20?\d* \| [\d .]+ ns \| [\d.]+ \|/);
    assert.match(md, /node-fibers 5\.0\.3: fiber\.run\(\) \+ Fiber\.yield\(\) \| +\| skipped: cannot use the peer cache/);
    assert.doesNotMatch(md, /target <=|NOT met/, 'the targets are not in the user-facing report');
    const svg = fs.readFileSync(path.join(dir, 'out', 'results.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /log scale/);
    assert.match(svg, /skipped: cannot use the peer cache/);
    assert.doesNotMatch(svg, /target/i, 'the targets are not in the chart');
  });

  it('checks the targets on their own (--targets), from the same JSON', () => {
    const file = path.join(dir, 'run.json');
    fs.writeFileSync(file, JSON.stringify(metrics) + '\n');
    const check = spawnSync(process.execPath, [path.join(root, 'bench', 'benchmark.js'), '--targets', '--from', file], { encoding: 'utf8' });
    assert.ok(check.status === 0 || check.status === 1, check.stderr);
    assert.match(check.stdout, /JS round trip \/ await .* target <= 1\.50x +(met|NOT met)/);
    assert.equal(check.status, /NOT met/.test(check.stdout) ? 1 : 0, 'exits 1 exactly when a target is not met');
  });
});
