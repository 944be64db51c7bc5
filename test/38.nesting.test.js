'use strict';
// Nesting invariants (issue 11; docs/DESIGN.md, "Nesting invariants"): V8
// and Node state kept per thread, isolate or context on the assumption that
// on one thread a call that starts later ends sooner. A generator breaks
// that assumption whenever it suspends with such a call open on its stack.
// Each row of the audit table that is not harmless has a test here; each
// runs in a child process (the failures were crashes, silent exits and
// wrong results), without flags and under --stress-scavenge=10.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { runScript, describe: explain, root } = require('./helpers/child');
const { pack, consumerProject, unpackInto, npmEnv } = require('./helpers/package');
const { slower } = require('./helpers/emulation');

// Flag sets every test here runs under: none, and the scavenger the suite
// stresses most (a GC at every tenth allocation moves everything the
// switches hold).
const FLAG_SETS = [[], ['--stress-scavenge=10']];

function run(source, flags, options) {
  return runScript(`'use strict';\n${source}`, flags, options);
}

// A wasm module with one function, (param i32) (result i32): x + 1.
const WASM = [0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 32, 0, 65, 1, 106, 11];

describe('nesting invariants', function () {
  this.timeout(slower(120000));

  for (const flags of FLAG_SETS) {
    const under = flags.length ? ` (${flags.join(' ')})` : '';

    it(`a wasm code GC begun before fringe loaded does not abort once a generator is suspended${under}`, () => {
      // --stress-wasm-code-gc starts a code GC whenever wasm code dies (here:
      // tier-up replacing Liftoff code); its foreground task is still queued
      // when fringe loads, and used to run from the event loop while the
      // generator was suspended: "archived threads in combination with wasm
      // not supported", SIGTRAP.
      const result = run(`
        const bytes = new Uint8Array(${JSON.stringify(WASM)});
        let sum = 0;
        for (let i = 0; i < 10; i++) {
          const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
          for (let r = 0; r < 30000; r++) sum += inst.exports.f(r) & 1;
        }
        const { Generator, suspend } = require(process.env.FRINGE_ROOT);
        const g = new Generator(() => suspend(1) + 1);
        g.resume();
        setTimeout(() => console.log('ok', g.resume(41), sum > 0), 100);
      `, ['--stress-wasm-code-gc', ...flags]);
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout.trim(), 'ok 42 true');
    });

    it(`suspend() inside a join is refused, so no other join sees the array as cyclic${under}`, () => {
      // It used to suspend: V8's join stack (one per native context) kept
      // the array, and every other join of it returned '' until the
      // generator was resumed.
      const result = run(`
        const { Generator, suspend, current } = require(process.env.FRINGE_ROOT);
        const out = [];
        const lazy = { toString() { return current() ? suspend('x') : 'y'; }, toLocaleString() { return this.toString(); } };
        const arr = [1, lazy, 3];
        for (const join of [(a) => a.join('-'), (a) => String(a), (a) => a.toLocaleString(), (a) => [a].join()]) {
          const g = new Generator(() => { try { return join(arr); } catch (e) { return e.code; } });
          out.push(g.resume(), arr.join('+'), String(arr));
        }
        // Joins the body began and finished, and joins its resumer has in
        // progress, do not count: a generator resumed from inside a join may
        // suspend (back into it), and a body may suspend after its joins.
        const inner = new Generator(() => { suspend([4, 5].join('.')); return 'i'; });
        out.push([{ toString: () => inner.resume() }, { toString: () => inner.resume() }].join('|'));
        const after = new Generator(() => { const s = [1, 'y', 3].join(''); gc?.(); return suspend(s) + [s].join(); });
        out.push(after.resume(), after.resume('!'), arr.join('+'));
        console.log(JSON.stringify(out));
      `, ['--expose-gc', ...flags]);
      assert.equal(result.status, 0, explain(result));
      assert.deepEqual(JSON.parse(result.stdout), [
        'ERR_SUSPEND_IN_JOIN', '1+y+3', '1,y,3',
        'ERR_SUSPEND_IN_JOIN', '1+y+3', '1,y,3',
        'ERR_SUSPEND_IN_JOIN', '1+y+3', '1,y,3',
        'ERR_SUSPEND_IN_JOIN', '1+y+3', '1,y,3',
        '4.5|i', '1y3', '!1y3', '1+y+3',
      ]);
    });

    it(`suspend() inside a microtask checkpoint the body began is refused; the queue keeps running microtasks${under}`, () => {
      // A vm context with microtaskMode 'afterEvaluate' runs its own queue at
      // the end of each evaluation. A body that suspended in one of its
      // promise reactions left the queue "running", and the reactions of
      // every later evaluation waited until the body was resumed.
      const result = run(`
        const vm = require('node:vm');
        const { Generator, suspend, run: start, wait } = require(process.env.FRINGE_ROOT);
        const out = [];
        const context = vm.createContext({ suspend, out }, { microtaskMode: 'afterEvaluate' });
        const g = new Generator(() => vm.runInContext(
          'Promise.resolve().then(() => { try { out.push(suspend(1)); } catch (e) { out.push(e.code); } }); 2', context));
        out.push(g.resume(), g.state);
        vm.runInContext('Promise.resolve().then(() => out.push("later"))', context);
        out.push('after later');
        // A generator resumed from one of those reactions may suspend (back into it).
        const inner = new Generator(() => { suspend('i1'); return 'i2'; });
        context.inner = inner;
        vm.runInContext('Promise.resolve().then(() => out.push(inner.resume(), inner.resume()))', context);
        // run() resumes its generator from promise reactions: wait() still works.
        start(() => wait(Promise.resolve('waited'))).then((v) => { out.push(v); console.log(JSON.stringify(out)); });
      `, flags);
      assert.equal(result.status, 0, explain(result));
      assert.deepEqual(JSON.parse(result.stdout), [
        'ERR_SUSPEND_IN_MICROTASK', 2, 'done', 'later', 'after later', 'i1', 'i2', 'waited',
      ]);
    });

    it(`Error.prepareStackTrace keeps working for other code while a body is suspended inside it${under}`, () => {
      // V8 sets one flag per isolate while a trace is formatted through
      // prepareStackTrace (so that errors made inside get the default
      // format); a body that suspended inside left it set, and every other
      // trace lost its prepareStackTrace until the body was resumed. The
      // flag now belongs to each stack.
      const result = run(`
        const { Generator, suspend, current } = require(process.env.FRINGE_ROOT);
        Error.prepareStackTrace = (error) => {
          if (current() && error.message === 'in body') return 'body:' + suspend('s') + ':' + new Error('nested').stack;
          return 'custom:' + error.message;
        };
        const g = new Generator(() => new Error('in body').stack);
        const out = [g.resume(), new Error('outside').stack];
        const inner = new Generator(() => { suspend(new Error('inner').stack); return new Error('inner2').stack; });
        out.push(inner.resume(), g.resume('r'), inner.resume(), new Error('after').stack);
        console.log(JSON.stringify(out));
      `, flags);
      assert.equal(result.status, 0, explain(result));
      const out = JSON.parse(result.stdout);
      // Inside its own formatting, the body's new Error gets V8's default format.
      assert.match(out[3], /^body:r:Error: nested\n\s+at /);
      out[3] = 'body:r:<default>';
      assert.deepEqual(out, ['s', 'custom:outside', 'custom:inner', 'body:r:<default>', 'custom:inner2', 'custom:after']);
    });

    it(`suspend() inside a vm call with a timeout or breakOnSigint is refused; unrelated code is not terminated${under}`, () => {
      // It used to suspend: the watchdog then fired TerminateExecution() at
      // the busy main script, and the process exited 0 in its middle.
      const result = run(`
        const vm = require('node:vm');
        const { Generator, suspend } = require(process.env.FRINGE_ROOT);
        const codes = [];
        for (const options of [{ timeout: 200 }, { breakOnSigint: true }]) {
          const g = new Generator(() => {
            try {
              return vm.runInNewContext('suspend(1); 2', { suspend }, options);
            } catch (e) {
              codes.push(e.code);
              return 'refused';
            }
          });
          codes.push(g.resume());
        }
        // The same through every entry point that takes the options.
        const script = new vm.Script('suspend(1)');
        const context = vm.createContext({ suspend });
        for (const call of [
          () => script.runInThisContext({ timeout: 1000 }),
          () => script.runInContext(context, { timeout: 1000 }),
          () => vm.runInContext('suspend(1)', context, { timeout: 1000 }),
          () => vm.runInThisContext('require(process.env.FRINGE_ROOT).suspend(1)', { timeout: 1000 }),
        ]) {
          const g = new Generator(() => { try { call(); return 'suspended'; } catch (e) { return e.code; } });
          codes.push(g.resume());
        }
        // Without a watchdog a vm call may suspend; a generator resumed
        // inside a watched call may suspend too (that returns into the call).
        const free = new Generator(() => vm.runInNewContext('suspend(1); 2', { suspend }));
        codes.push(free.resume(), free.resume());
        const inner = new Generator(() => { suspend('a'); return 'b'; });
        codes.push(vm.runInNewContext('[inner.resume(), inner.resume()].join()', { inner }, { timeout: 1000 }));
        // Refused calls left nothing armed: a busy main script outlives the timeout.
        const start = Date.now();
        while (Date.now() - start < 600);
        console.log(JSON.stringify(codes));
      `, flags);
      assert.equal(result.status, 0, explain(result));
      assert.deepEqual(JSON.parse(result.stdout), [
        'ERR_SUSPEND_IN_VM_TIMEOUT', 'refused', 'ERR_SUSPEND_IN_VM_TIMEOUT', 'refused',
        'ERR_SUSPEND_IN_VM_TIMEOUT', 'ERR_SUSPEND_IN_VM_TIMEOUT', 'ERR_SUSPEND_IN_VM_TIMEOUT', 'ERR_SUSPEND_IN_VM_TIMEOUT',
        1, 2, 'a,b',
      ]);
    });

    it(`wait() inside a vm call with a timeout rejects run() with ERR_SUSPEND_IN_VM_TIMEOUT; the async hook stack stays intact${under}`, () => {
      // It used to exit 1: "async hook stack has become corrupted".
      const result = run(`
        const vm = require('node:vm');
        const { run: start, wait } = require(process.env.FRINGE_ROOT);
        const sleep = (ms, v) => new Promise((resolve) => setTimeout(resolve, ms, v));
        start(() => vm.runInNewContext('wait(sleep(10, 1))', { wait, sleep }, { timeout: 500 })).then(
          (v) => console.log('resolved', v),
          (e) => start(() => wait(sleep(10, e.code))).then((code) => console.log('rejected', code)),
        );
      `, flags);
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout.trim(), 'rejected ERR_SUSPEND_IN_VM_TIMEOUT');
    });

    it(`process.exit() cannot be cancelled by suspending in an 'exit' listener${under}`, () => {
      // It used to suspend the body; its resumer went on and the process
      // kept running.
      const result = run(`
        const { Generator, suspend } = require(process.env.FRINGE_ROOT);
        const nested = new Generator(() => { suspend('n1'); return 'n2'; });
        process.on('exit', (code) => {
          // A generator resumed here may suspend: that returns into the listener.
          const seen = [nested.resume(), nested.resume()];
          try {
            suspend('x');
            seen.push('suspended');
          } catch (e) {
            seen.push(e.code);
          }
          console.log(code, seen.join());
        });
        const g = new Generator(() => { process.exit(3); });
        g.resume();
        console.log('still running');
      `, flags);
      assert.equal(result.status, 3, explain(result));
      assert.equal(result.stdout.trim(), '3 n1,n2,ERR_SUSPEND_IN_EXIT');
    });
  }

  describe('two installed copies of fringe in one thread', function () {
    // As npm lays them out when an app needs one version and a dependency
    // another: <project>/node_modules/fringe (0.1.0-a) and
    // <project>/node_modules/dep/node_modules/fringe (0.1.0-b), each from the
    // packed tarball with its own addon file (a copy of this build, so the
    // dynamic linker loads each separately, with its own statics, as it does
    // two versions built from source).
    let project;
    let copies;
    const addon = process.env.FRINGE_ADDON_PATH ?? path.join(root, 'build', 'Release', 'fringe.node');

    before(function () {
      this.timeout(slower(300000));
      const { tarball } = pack();
      project = consumerProject('fringe-copies-');
      const a = unpackInto(project, tarball);
      const depDir = path.join(project, 'node_modules', 'dep');
      fs.mkdirSync(depDir, { recursive: true });
      fs.writeFileSync(path.join(depDir, 'package.json'), JSON.stringify({ name: 'dep', version: '1.0.0', main: 'index.js' }));
      fs.writeFileSync(path.join(depDir, 'index.js'), "module.exports = require('fringe');\n");
      const b = unpackInto(depDir, tarball);
      // fringe's one dependency, as npm would hoist it (nothing is built).
      fs.cpSync(path.dirname(require.resolve('node-gyp-build/package.json')), path.join(project, 'node_modules', 'node-gyp-build'), { recursive: true });
      copies = [a, b];
      for (const [dir, version] of [[a, '0.1.0-a'], [b, '0.1.0-b']]) {
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        manifest.version = version;
        fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
        fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
        fs.copyFileSync(addon, path.join(dir, 'build', 'Release', 'fringe.node'));
      }
    });

    function inProject(source, flags = [], env = {}) {
      return spawnSync(process.execPath, [...flags, '-e', source], {
        cwd: project,
        encoding: 'utf8',
        timeout: 120000,
        // Not this checkout's build (FRINGE_ADDON_PATH): each copy loads its own addon.
        env: npmEnv(env),
      });
    }

    // A's generators resume B's and the other way round, B's run() inside
    // A's run() and A's wait() inside B's run, with full GCs inside.
    const NESTED = `
      const A = require('fringe');
      const B = require('dep');
      const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
      const out = [require('fringe/package.json').version, require.resolve('fringe', { paths: [require.resolve('dep')] }).includes('dep/node_modules'), addons.length, A === B];
      const inner = new B.Generator(() => { for (let i = 0; ; i++) { gc(); B.suspend('b' + i); } });
      const outer = new A.Generator(() => {
        const got = [];
        for (let i = 0; i < 3; i++) got.push(inner.resume(), A.suspend(i));
        return got.join();
      });
      const seen = [];
      let r = outer.resume();
      while (outer.state !== 'done') { seen.push(r); r = outer.resume(); }
      out.push(seen.join(), r);
      const sleep = (ms, v) => new Promise((resolve) => setTimeout(resolve, ms, v));
      A.run(() => {
        const x = A.wait(sleep(5, 1));
        return B.run(() => { gc(); return x + B.wait(sleep(5, 2)) + A.wait(sleep(5, 3)); });
      }).then((v) => {
        const nestedBinA = A.run(() => {
          const v = A.wait(sleep(5, 40));
          const g = new B.Generator(() => { gc(); return B.suspend(v) + 1; });
          const first = g.resume();
          return first + g.resume(B.wait(sleep(5, 1)));
        });
        return Promise.all([v, nestedBinA]);
      }).then(([v, w]) => { gc(); out.push(v, w); console.log(JSON.stringify(out)); });
    `;

    for (const flags of FLAG_SETS) {
      it(`nest whichever copy made each generator, sharing the first copy's runtime${flags.length ? ` (${flags.join(' ')})` : ''}`, () => {
        // Before the copies met, each had its own runtime: a body of A
        // resuming a generator of B ended in "Maximum call stack size
        // exceeded", or under a GC "cppgc stack start ... does not belong
        // to the running stack" and SIGABRT, and B.run() inside A.run() in
        // "async hook stack has become corrupted".
        const result = inProject(NESTED, ['--expose-gc', ...flags]);
        assert.equal(result.status, 0, explain(result));
        assert.deepEqual(JSON.parse(result.stdout), ['0.1.0-a', true, 2, true, '0,1,2', 'b0,,b1,,b2,', 6, 42]);
      });
    }

    it('loads the later copy with supported === false, naming both packages, when the interfaces differ', () => {
      const result = inProject(`
        const A = require('fringe');
        const B = require('dep');
        const g = new A.Generator(() => A.suspend(1) + 1);
        g.resume();
        let refused;
        try { new B.Generator(() => 0); } catch (e) { refused = e.code; }
        console.log(JSON.stringify([A.supported, B.supported, A === B, B.unsupportedReason, refused, g.resume(41)]));
      `, [], { FRINGE_TEST_LIBRARY_INTERFACE: `${path.join(copies[1], 'build', 'Release', 'fringe.node')}=99` });
      assert.equal(result.status, 0, explain(result));
      const [aSupported, bSupported, same, reason, refused, value] = JSON.parse(result.stdout);
      assert.deepEqual([aSupported, bSupported, same, refused, value], [true, false, false, 'ERR_UNSUPPORTED_RUNTIME', 42]);
      assert.ok(reason.includes(copies[0]) && reason.includes(copies[1]), reason);
      assert.match(reason, /library interface \d+\b.*library interface 99\b/);
    });
  });
});
