'use strict';
// How the native suite runs its i386 build (native/test/cmake/FringeRunner.cmake):
// directly where the kernel executes 32-bit code, else under qemu-i386-static,
// else skipped with a reason (AUTO) or refused (ON, which CI's
// FRINGE_REQUIRE_ALL=1 sets). Each path is forced here with a throwaway
// configure of the suite, whatever this host can do.

const assert = require('node:assert/strict');
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers/child');
const { secondaryRun } = require('./helpers/v8flags');

function which(program) {
  const result = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** Whether `g++ -m32` links a program here, and whether this kernel then runs it. */
function hostI386() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-m32-'));
  try {
    const source = path.join(dir, 'probe.cc');
    fs.writeFileSync(source, 'int main() { return sizeof(void*) == 4 ? 44 : 1; }\n');
    const binary = path.join(dir, 'probe');
    const built = spawnSync('g++', ['-m32', source, '-o', binary]).status === 0;
    if (!built) return { builds: false, runs: false };
    // A kernel without IA-32 emulation answers ENOEXEC, and libuv's execvp
    // then hands the file to /bin/sh, which exits 2.
    const run = spawnSync(binary);
    return { builds: true, runs: run.status === 44 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('native suite: how i386 binaries are run', function () {
  this.timeout(5 * 60 * 1000);
  let host;
  let dir;

  before(function () {
    // CMake's decision does not depend on the node running mocha.
    if (secondaryRun) this.skip();
    host = hostI386();
    if (!host.builds) this.skip(); // no g++-multilib: the suite says so itself (see README)
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-runner-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function configure(...defines) {
    const result = spawnSync('cmake', ['-S', root, '-B', dir, '-DFRINGE_VALGRIND=OFF', '-DFRINGE_GDB=AUTO', ...defines.map((d) => `-D${d}`)], { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  /**
   * The registered tests: { name: command line }. ctest leaves the command
   * out while its executable is not built, so unbuilt tests map to [].
   */
  function registered() {
    const json = JSON.parse(execFileSync('ctest', ['--test-dir', dir, '--show-only=json-v1'], { encoding: 'utf8', maxBuffer: 16 << 20 }));
    return Object.fromEntries(json.tests.map((t) => [t.name, t.command ?? []]));
  }

  it('AUTO skips the i386 suite, saying what to install, when neither the kernel nor an emulator runs it', () => {
    const result = configure('FRINGE_I386=AUTO', 'FRINGE_I386_RUN_DIRECTLY=OFF', 'FRINGE_I386_QEMU=fringe-no-such-qemu');
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /i386 native tests skipped: .*fringe-no-such-qemu is not installed \(Debian: apt-get install qemu-user-static\)/);
    const names = Object.keys(registered());
    assert.ok(names.includes('native.context'), 'the host suite is still there');
    assert.deepEqual(names.filter((n) => n.startsWith('native_i386.')), []);
  });

  it('AUTO skips it when the emulator cannot run the probe either', () => {
    const result = configure('FRINGE_I386=AUTO', 'FRINGE_I386_RUN_DIRECTLY=OFF', 'FRINGE_I386_QEMU=/bin/false');
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /i386 native tests skipped: .*nor under \/bin\/false \(exit 1/);
  });

  it('ON (FRINGE_REQUIRE_ALL=1) refuses to configure when the suite cannot run', () => {
    const result = configure('FRINGE_I386=ON', 'FRINGE_I386_RUN_DIRECTLY=OFF', 'FRINGE_I386_QEMU=fringe-no-such-qemu');
    assert.notEqual(result.status, 0);
    assert.match(result.output.replace(/\s+/g, ' '), /FRINGE_I386=ON \(FRINGE_REQUIRE_ALL=1\) but the i386 suite cannot run: .*apt-get install qemu-user-static/);
  });

  it('runs the suite under qemu-i386-static, without the tests qemu cannot host, and they pass', function () {
    const qemu = which('qemu-i386-static');
    if (!qemu) this.skip(); // CI installs it (.ci/run)
    const result = configure('FRINGE_I386=ON', 'FRINGE_I386_RUN_DIRECTLY=OFF');
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /i386 native tests run under .*qemu-i386-static/);
    const tests = registered();
    assert.equal(tests['native_i386.context'][0], fs.realpathSync(qemu));
    assert.equal(tests['native_i386.gdb_backtrace'], undefined);
    if (which('gdb')) assert.ok('native.gdb_backtrace' in tests, 'the host suite keeps the gdb test');
    assert.equal(tests['native_i386.stack_unmapped_exactly_once'], undefined);
    assert.ok('native.stack_unmapped_exactly_once' in tests, 'the host suite keeps it');
    execFileSync('cmake', ['--build', dir, '--target', 'native_tests_i386', '-j', '2'], { stdio: 'pipe' });
    const run = spawnSync('ctest', ['--test-dir', dir, '--output-on-failure', '-R', '^native_i386\\.(context|generator|overflow_in_generator_is_reported_then_aborts)$'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /100% tests passed, 0 tests failed out of 3/);
  });

  it('runs it directly where this kernel executes 32-bit code, and says so otherwise', () => {
    const result = configure('FRINGE_I386=AUTO');
    assert.equal(result.status, 0, result.output);
    const tests = registered();
    if (host.runs) {
      assert.match(result.output, /i386 native tests run directly/);
      assert.ok('native_i386.gdb_backtrace' in tests || !which('gdb'), 'gdb_backtrace where gdb is installed');
      assert.ok(!('native_i386.context' in tests) || !/qemu/.test(tests['native_i386.context'].join(' ')), 'not emulated');
    } else {
      assert.match(result.output, /i386 native tests (run under|skipped: ).*running the probe directly: exit 2/);
    }
  });
});
