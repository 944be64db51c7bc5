#!/usr/bin/env node
'use strict';
// `npm run bench`: runs each suite in bench/suites in its own process, prints
// a table of the numbers and of the ratios that matter (each against a peer
// measured in the same run), and writes bench/RESULTS.md and
// bench/results.svg.
//
//   npm run bench                 the table
//   npm run bench -- --json       the table, then one JSON object on the last line
//   npm run bench -- --quick      fewer rounds (noisier)

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const here = __dirname;

// Suites, in the order they run. Each prints one JSON object.
const SUITES = ['native.js', 'roundtrip.js', 'create.js', 'wait.js', 'gc.js'];

// The rows of the report: a metric, what it is, and the peers it is compared
// with (ratio = metric / peer), with the target where an issue sets one.
const ROWS = [
  { key: 'native_swap_roundtrip_ns', label: 'native: context switch round trip', unit: 'ns',
    ratios: [{ peer: 'indirect_call_ns', name: 'indirect call', target: 4 },
             { peer: 'swapcontext_roundtrip_ns', name: 'swapcontext', target: 1 / 50 }] },
  { key: 'native_generator_roundtrip_ns', label: 'native: C++ Generator resume + suspend', unit: 'ns',
    ratios: [{ peer: 'indirect_call_ns', name: 'indirect call' }] },
  { key: 'swapcontext_roundtrip_ns', label: 'native: glibc swapcontext round trip', unit: 'ns' },
  { key: 'indirect_call_ns', label: 'native: indirect call + return', unit: 'ns' },
  { key: 'js_roundtrip_ns', label: 'JS: generator resume + suspend', unit: 'ns',
    ratios: [{ peer: 'await_ns', name: 'await', target: 1.5 },
             { peer: 'function_star_next_ns', name: 'function* next()', target: 6 }] },
  { key: 'function_star_next_ns', label: 'JS: function* next()', unit: 'ns' },
  { key: 'await_ns', label: 'JS: await of a resolved value', unit: 'ns' },
  { key: 'create_run_ns', label: 'JS: create + run a generator (pooled stack)', unit: 'ns',
    ratios: [{ peer: 'await_ns_create_suite', name: 'await', target: 10 }] },
  { key: 'wait_resolved_ns', label: 'JS: wait() of a resolved promise', unit: 'ns',
    ratios: [{ peer: 'await_ns_wait_suite', name: 'await' }] },
  { key: 'minor_gc_ms_10000', label: 'minor GC, 10 000 generators suspended', unit: 'ms',
    ratios: [{ peer: 'minor_gc_ms_0', name: 'minor GC with none', target: 2 }] },
  { key: 'minor_gc_ms_0', label: 'minor GC, none suspended', unit: 'ms' },
  { key: 'rss_per_suspended_kib', label: 'RSS per suspended shallow generator', unit: 'KiB',
    limit: { value: 12, name: '12 KiB' } },
];

function runSuite(file) {
  const env = { ...process.env };
  if (quick) {
    env.FRINGE_BENCH_ROUNDS = env.FRINGE_BENCH_ROUNDS || '5';
    env.FRINGE_BENCH_ROUNDS_JS = env.FRINGE_BENCH_ROUNDS_JS || '1';
  }
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(here, 'suites', file)], {
    encoding: 'utf8',
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new Error(`bench/suites/${file} failed (exit ${result.status}${result.signal ? ', ' + result.signal : ''})`);
  }
  const last = result.stdout.trim().split('\n').pop();
  return JSON.parse(last);
}

function formatRatio(value) {
  if (value >= 0.1) return `${value.toFixed(2)}x`;
  return `1/${(1 / value).toFixed(0)}`;
}

function report(metrics) {
  const lines = [];
  const meets = [];
  for (const row of ROWS) {
    if (!(row.key in metrics)) continue;
    const value = metrics[row.key];
    const parts = (row.ratios || [])
      .filter((r) => r.peer in metrics)
      .map((r) => {
        const ratio = value / metrics[r.peer];
        let note = `${formatRatio(ratio)} ${r.name}`;
        if (r.target !== undefined) {
          const ok = ratio <= r.target;
          meets.push({ row: row.label, peer: r.name, ratio, target: r.target, ok });
          note += ` (target <= ${formatRatio(r.target)}: ${ok ? 'met' : 'NOT met'})`;
        }
        return note;
      });
    if (row.limit) {
      const ok = value <= row.limit.value;
      meets.push({ row: row.label, peer: 'limit', ratio: value / row.limit.value, target: 1, ok, absolute: `${value} ${row.unit} (limit ${row.limit.name})` });
      parts.push(`limit ${row.limit.name}: ${ok ? 'met' : 'NOT met'}`);
    }
    lines.push({ label: row.label, value: `${value.toFixed(value < 10 ? 2 : 1)} ${row.unit}`, ratios: parts.join('; ') });
  }
  return { lines, meets };
}

function printTable(lines) {
  const w1 = Math.max(...lines.map((l) => l.label.length));
  const w2 = Math.max(...lines.map((l) => l.value.length));
  for (const l of lines) console.log(`${l.label.padEnd(w1)}  ${l.value.padStart(w2)}  ${l.ratios}`);
}

function writeMarkdown(metrics, lines, meets, header) {
  const md = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\`. ${header}`,
    '',
    'Every ratio compares two numbers measured in the same run.',
    '',
    '| operation | time | ratios |',
    '|---|---:|---|',
    ...lines.map((l) => `| ${l.label} | ${l.value} | ${l.ratios} |`),
    '',
    '## Targets',
    '',
    '| measure | ratio | target | |',
    '|---|---:|---:|---|',
    ...meets.map((m) =>
      m.absolute
        ? `| ${m.row} | ${m.absolute} | | ${m.ok ? 'met' : 'not met'} |`
        : `| ${m.row} vs ${m.peer} | ${formatRatio(m.ratio)} | <= ${formatRatio(m.target)} | ${m.ok ? 'met' : 'not met'} |`,
    ),
    '',
    '```json',
    JSON.stringify(metrics, null, 2),
    '```',
    '',
  ];
  fs.writeFileSync(path.join(here, 'RESULTS.md'), md.join('\n'));
}

// A horizontal bar per target ratio, as a fraction of its target (the
// target line is at 100%).
function writeSvg(meets, header) {
  const width = 980;
  const barLeft = 470;
  const barMax = 360;
  const rowHeight = 34;
  const height = 70 + meets.length * rowHeight + 30;
  const scale = Math.max(1.25, ...meets.map((m) => (m.target >= 1 ? m.ratio / m.target : m.ratio / m.target)));
  const x = (fraction) => barLeft + (fraction / scale) * barMax;
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">fringe: measured ratio / target ratio (shorter is better)</text>`,
    `<text x="16" y="44" fill="#555">${esc(header)}</text>`,
  ];
  meets.forEach((m, i) => {
    const y = 64 + i * rowHeight;
    const fraction = m.ratio / m.target;
    const label = m.absolute ? m.row.replace(/^(native|JS): /, '') : `${m.row.replace(/^(native|JS): /, '')} vs ${m.peer}`;
    const note = m.absolute ? m.absolute : `${formatRatio(m.ratio)} (target ${formatRatio(m.target)})`;
    parts.push(`<text x="16" y="${y + 17}">${esc(label)}</text>`);
    parts.push(`<rect x="${barLeft}" y="${y + 4}" width="${Math.max(1, x(fraction) - barLeft)}" height="18" fill="${m.ok ? '#3a8a4a' : '#c0392b'}"/>`);
    parts.push(`<text x="${x(fraction) + 6}" y="${y + 17}">${esc(note)}</text>`);
  });
  const targetX = x(1);
  parts.push(`<line x1="${targetX}" y1="56" x2="${targetX}" y2="${height - 24}" stroke="#333" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${targetX - 20}" y="${height - 8}" fill="#333">target</text>`);
  parts.push('</svg>');
  fs.writeFileSync(path.join(here, 'results.svg'), parts.join('\n') + '\n');
}

const metrics = {};
for (const suite of SUITES) Object.assign(metrics, runSuite(suite));
const cpu = (os.cpus()[0] || { model: 'unknown CPU' }).model.trim();
const header = `Node ${process.version}, ${cpu}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}.`;
const { lines, meets } = report(metrics);
console.log(`fringe benchmark: ${header}\n`);
printTable(lines);
writeMarkdown(metrics, lines, meets, header);
writeSvg(meets, header);
console.log('\nWrote bench/RESULTS.md and bench/results.svg.');
if (json) console.log(JSON.stringify(metrics));
