#!/usr/bin/env node
// The test command: builds the addon and lib/ from source, runs the native
// suite (CMake/ctest) and the JavaScript suite (mocha), and ends with one
// summary line "N passed, N failed".
//
//   node scripts/test.js           everything
//   node scripts/test.js native    the native suite only
//   node scripts/test.js js        the JavaScript suite only (after building)
//
// Environment:
//   FRINGE_REQUIRE_ALL=1    the i386, valgrind and gdb native tests must run
//                           (CI sets it; locally they run when available)
//   FRINGE_NODEDIR=<dir>    Node headers to build against (default: npm's
//                           nodedir setting, else node-gyp's default)
//   FRINGE_MOCHA_ARGS=...   extra mocha arguments (e.g. --grep torture)

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const what = process.argv[2] || 'all';
const jobs = String(Math.max(1, require('node:os').availableParallelism?.() ?? 2));
let passed = 0;
let failed = 0;

function run(command, args, options = {}) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: options.capture ? 'pipe' : 'inherit', encoding: 'utf8', env: { ...process.env, ...options.env } });
  if (options.capture) {
    process.stdout.write(result.stdout || '');
    process.stderr.write(result.stderr || '');
  }
  if (result.error) throw result.error;
  return result;
}

function must(result, what) {
  if (result.status !== 0) {
    console.error(`\n${what} failed (exit ${result.status}${result.signal ? ', ' + result.signal : ''})`);
    console.log(`\n${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  }
}

function nodeGyp(args) {
  const bin = require.resolve('node-gyp/bin/node-gyp.js');
  const nodedir = process.env.FRINGE_NODEDIR;
  return run(process.execPath, [bin, ...args, ...(nodedir ? [`--nodedir=${nodedir}`] : [])]);
}

function build() {
  if (!fs.existsSync(path.join(root, 'build', 'Makefile'))) must(nodeGyp(['configure']), 'node-gyp configure');
  must(nodeGyp(['build', '-j', jobs]), 'building the addon');
  must(run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']), 'compiling lib/');
}

function native() {
  const required = process.env.FRINGE_REQUIRE_ALL === '1' ? 'ON' : 'AUTO';
  const dir = path.join(root, 'build-native');
  must(run('cmake', ['-S', root, '-B', dir, `-DFRINGE_I386=${required}`, `-DFRINGE_VALGRIND=${required}`, `-DFRINGE_GDB=${required}`]), 'configuring the native suite');
  must(run('cmake', ['--build', dir, '-j', jobs]), 'building the native suite');
  const result = run('ctest', ['--test-dir', dir, '--output-on-failure', '-j', jobs], { capture: true });
  const summary = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(result.stdout || '');
  if (summary) {
    passed += Number(summary[3]) - Number(summary[2]);
    failed += Number(summary[2]);
  } else if (result.status !== 0) {
    failed++;
  }
  return result.status === 0;
}

function js() {
  const extra = process.env.FRINGE_MOCHA_ARGS ? process.env.FRINGE_MOCHA_ARGS.split(' ') : [];
  const result = run(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...extra], { capture: true });
  const out = result.stdout || '';
  const passing = /(\d+) passing/.exec(out);
  const failing = /(\d+) failing/.exec(out);
  passed += passing ? Number(passing[1]) : 0;
  failed += failing ? Number(failing[1]) : result.status === 0 ? 0 : 1;
  return result.status === 0;
}

let ok = true;
if (what === 'all' || what === 'js') build();
if (what === 'all' || what === 'native') ok = native() && ok;
if (what === 'all' || what === 'js') ok = js() && ok;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);
