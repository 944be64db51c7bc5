'use strict';
// fringe/fibers and fringe/fibers/future: node-fibers 5.0.3's documented
// API and behaviour (its README), one rule per `it`; the errors' codes; and
// the behaviours the node-fibers tests that cannot pass here meant to check
// (see docs/fibers.md, "Validation").

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const { AsyncResource, executionAsyncId } = require('node:async_hooks');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { Generator, run, wait } = require('..');
const Fiber = require('../dist/fibers');
const Future = require('../dist/fibers-future');
const { runScript, describe: explain } = require('./helpers/child');
const { expectCode } = require('./helpers/errors');
const { slower } = require('./helpers/emulation');

const root = path.join(__dirname, '..');

describe('fringe/fibers: Fiber', () => {
  it("is what require('fibers') and require('fibers/future') give with the drop-in packages/fibers installed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-fibers-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules', 'fibers'), { recursive: true });
      for (const file of fs.readdirSync(path.join(root, 'packages', 'fibers'))) {
        fs.copyFileSync(path.join(root, 'packages', 'fibers', file), path.join(dir, 'node_modules', 'fibers', file));
      }
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'fringe'), 'dir');
      fs.writeFileSync(
        path.join(dir, 'main.js'),
        `console.log(require('fibers') === require(${JSON.stringify(root + '/dist/fibers.js')}),
                     require('fibers/future') === require(${JSON.stringify(root + '/dist/fibers-future.js')}),
                     require('fibers').current);`,
      );
      const result = spawnSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8' });
      assert.equal(result.stdout, 'true true undefined\n', explain(result));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Fiber(fn) works with and without new, and makes instances of Fiber', () => {
    const a = Fiber(() => 1);
    const b = new Fiber(() => 2);
    assert.ok(a instanceof Fiber);
    assert.ok(b instanceof Fiber);
    assert.equal(Object.getPrototypeOf(a), Fiber.prototype);
    assert.equal(a.constructor, Fiber);
    assert.equal(a.run(), 1);
    assert.equal(b.run(), 2);
  });

  it('a subclass made with class ... extends Fiber gets its own prototype', () => {
    class Named extends Fiber {
      name() {
        return 'named';
      }
    }
    const f = new Named(() => 3);
    assert.ok(f instanceof Named && f instanceof Fiber);
    assert.equal(f.name(), 'named');
    assert.equal(f.run(), 3);
  });

  it('Fiber() takes exactly one function: TypeError otherwise, with node-fibers\' messages', () => {
    expectCode(() => Fiber(), 'ERR_FIBER_ARGUMENTS', /^Fiber expects 1 argument$/);
    expectCode(() => Fiber(() => {}, 1), 'ERR_FIBER_ARGUMENTS', /^Fiber expects 1 argument$/);
    for (const bad of [undefined, null, 1, 'f', {}]) {
      assert.throws(() => new Fiber(bad), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && e.message === 'Fiber expects a function');
    }
  });

  it('run(value) passes value as the only argument; run() passes none; `this` is the global object', () => {
    const seen = [];
    // (this file is strict code: `this` is what the caller passes)
    const fn = function (...args) {
      seen.push([this, args]);
    };
    Fiber(fn).run();
    Fiber(fn).run(undefined);
    Fiber(fn).run(7);
    assert.deepEqual(seen, [
      [globalThis, []],
      [globalThis, [undefined]],
      [globalThis, [7]],
    ]);
  });

  it('run() returns what the fiber yields, then what its function returns; yield() returns what run() passes', () => {
    const inc = Fiber((start) => {
      let total = start;
      for (;;) total += Fiber.yield(total);
    });
    const seen = [];
    for (let ii = inc.run(1); ii <= 10; ii = inc.run(1)) seen.push(ii);
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const f = Fiber(() => Fiber.yield('a') + '!');
    assert.equal(f.run(), 'a');
    assert.equal(f.run('b'), 'b!');
  });

  it('an exception escapes run(), the same object; the fiber is then as if never started, and runs again from the top', () => {
    const boom = new Error('boom');
    let starts = 0;
    const f = Fiber(() => {
      starts++;
      Fiber.yield(1);
      throw boom;
    });
    assert.equal(f.run(), 1);
    assert.throws(() => f.run(), (e) => e === boom);
    assert.equal(f.started, false);
    assert.equal(f.run(), 1);
    assert.equal(starts, 2);
  });

  it('after its function returns, a fiber is reset to its original state and may be restarted', () => {
    let starts = 0;
    const f = Fiber((x) => {
      starts++;
      return x * 2;
    });
    assert.equal(f.run(2), 4);
    assert.equal(f.started, false);
    assert.equal(f.run(5), 10);
    assert.equal(starts, 2);
  });

  it('started: false before run(), true while running or yielding, false after; undefined on other objects', () => {
    let inside;
    const f = Fiber(() => {
      inside = Fiber.current.started;
      Fiber.yield();
    });
    assert.equal(f.started, false);
    f.run();
    assert.equal(inside, true);
    assert.equal(f.started, true);
    f.run();
    assert.equal(f.started, false);
    const getter = Object.getOwnPropertyDescriptor(Fiber.prototype, 'started').get;
    assert.equal(getter.call({}), undefined);
  });

  it('Fiber.current: undefined outside any fiber, the innermost running fiber inside, across yields', () => {
    assert.equal(Fiber.current, undefined);
    const seen = [];
    let inner;
    const outer = Fiber(() => {
      seen.push(Fiber.current === outer);
      inner = Fiber(() => {
        seen.push(Fiber.current === inner);
        Fiber.yield();
        seen.push(Fiber.current === inner);
      });
      inner.run();
      seen.push(Fiber.current === outer);
      Fiber.yield();
      seen.push(Fiber.current === outer);
    });
    outer.run();
    assert.equal(Fiber.current, undefined);
    inner.run(); // resumed from the main stack, not from outer
    outer.run();
    assert.deepEqual(seen, [true, true, true, true, true]);
    assert.equal(Fiber.current, undefined);
  });

  it('assigning Fiber.current is ignored, as node-fibers\' setter-less accessor ignores it (the library sync assigns it)', () => {
    Fiber.current = {};
    assert.equal(Fiber.current, undefined);
    assert.doesNotThrow(() => {
      Fiber.current = 1; // strict code, like this whole file
    });
  });

  it('Fiber.yield() outside any fiber throws Error "yield() called with no fiber running" (ERR_NOT_IN_FIBER)', () => {
    assert.throws(() => Fiber.yield(), (e) => e instanceof Error && e.code === 'ERR_NOT_IN_FIBER' && e.message === 'yield() called with no fiber running');
  });

  it('Fiber.yield() with more than one argument throws TypeError (ERR_FIBER_ARGUMENTS), and does not yield', () => {
    const f = Fiber(() => {
      assert.throws(() => Fiber.yield(1, 2), (e) => e instanceof TypeError && e.code === 'ERR_FIBER_ARGUMENTS');
      return 'went on';
    });
    assert.equal(f.run(), 'went on');
  });

  it('running a running fiber throws Error "This Fiber is already running" (ERR_FIBER_RUNNING): itself, or one up the chain', () => {
    const self = Fiber(() => {
      expectCode(() => Fiber.current.run(), 'ERR_FIBER_RUNNING', /^This Fiber is already running$/);
      return 'ok';
    });
    assert.equal(self.run(), 'ok');
    const outer = Fiber(() => {
      const that = Fiber.current;
      Fiber(() => expectCode(() => that.run(), 'ERR_FIBER_RUNNING')).run();
      return 'ok';
    });
    assert.equal(outer.run(), 'ok');
  });

  it('run(a, b) throws TypeError (ERR_FIBER_ARGUMENTS)', () => {
    assert.throws(() => Fiber(() => {}).run(1, 2), (e) => e instanceof TypeError && e.code === 'ERR_FIBER_ARGUMENTS');
  });

  it('methods called on something that is not a fiber throw TypeError (ERR_INVALID_THIS)', () => {
    for (const method of ['run', 'reset', 'throwInto']) {
      for (const that of [null, undefined, {}, Object.create(Fiber.prototype)]) {
        assert.throws(() => Fiber.prototype[method].call(that), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_THIS');
      }
    }
  });

  it('throwInto(e): the pending yield() throws e; a caught one returns what the fiber yields next, an uncaught one comes back', () => {
    const boom = new Error('boom');
    const f = Fiber(() => {
      try {
        Fiber.yield(1);
      } catch (e) {
        Fiber.yield(e === boom ? 'caught' : 'other');
      }
      Fiber.yield(2);
    });
    f.run();
    assert.equal(f.throwInto(boom), 'caught');
    f.run();
    assert.throws(() => f.throwInto(boom), (e) => e === boom);
    assert.equal(f.started, false);
  });

  it('throwInto() on a fiber that is not yielding throws "This Fiber is not yielding" (ERR_FIBER_NOT_YIELDING); two arguments: TypeError', () => {
    expectCode(() => Fiber(() => {}).throwInto(new Error()), 'ERR_FIBER_NOT_YIELDING', /^This Fiber is not yielding$/);
    Fiber(() => expectCode(() => Fiber.current.throwInto(1), 'ERR_FIBER_NOT_YIELDING')).run();
    const f = Fiber(() => Fiber.yield());
    f.run();
    assert.throws(() => f.throwInto(1, 2), (e) => e instanceof TypeError && e.code === 'ERR_FIBER_ARGUMENTS');
    f.run();
  });

  it('reset(): yield() throws Error "This Fiber is a zombie" and so does every later yield(); reset() returns what the function returns', () => {
    const seen = [];
    let ii;
    const f = Fiber(() => {
      for (ii = 0; ii < 1000; ++ii) {
        try {
          Fiber.yield();
        } catch (e) {
          seen.push(e);
        }
      }
      return 'unwound';
    });
    f.run();
    assert.equal(f.reset(), 'unwound');
    assert.equal(ii, 1000);
    assert.equal(seen.length, 1000);
    assert.ok(seen.every((e) => e === seen[0]));
    assert.equal(seen[0].message, 'This Fiber is a zombie');
    assert.equal(seen[0].code, 'ERR_FIBER_ZOMBIE');
    assert.equal(f.started, false);
  });

  it('reset(): finally blocks run; the zombie exception escaping is no error (undefined); another exception is rethrown', () => {
    const log = [];
    const plain = Fiber(() => {
      try {
        Fiber.yield();
      } finally {
        log.push('finally');
      }
    });
    plain.run();
    assert.equal(plain.reset(), undefined);
    assert.deepEqual(log, ['finally']);
    const other = new Error('other');
    const rethrows = Fiber(() => {
      try {
        Fiber.yield();
      } catch {
        throw other;
      }
    });
    rethrows.run();
    assert.throws(() => rethrows.reset(), (e) => e === other);
    // Fiber.current during the unwinding is the fiber, as in node-fibers.
    let current;
    const f = Fiber(() => {
      try {
        Fiber.yield();
      } finally {
        current = Fiber.current;
      }
    });
    f.run();
    f.reset();
    assert.equal(current, f);
  });

  it('reset(): no effect on a fiber that is not started; ERR_FIBER_NOT_YIELDING on a running one; TypeError with arguments', () => {
    assert.equal(Fiber(() => {}).reset(), undefined);
    Fiber(() => expectCode(() => Fiber.current.reset(), 'ERR_FIBER_NOT_YIELDING', /^This Fiber is not yielding$/)).run();
    const f = Fiber(() => Fiber.yield());
    f.run();
    assert.throws(() => f.reset(1), (e) => e instanceof TypeError && e.code === 'ERR_FIBER_ARGUMENTS');
    f.reset();
    // and it can start again afterwards
    assert.equal(f.run(), undefined);
  });

  it('Fiber.poolSize is fringe\'s Generator.poolSize; bad sizes are TypeError / RangeError', () => {
    const saved = Generator.poolSize;
    try {
      Fiber.poolSize = 100;
      assert.equal(Fiber.poolSize, 100);
      assert.equal(Generator.poolSize, 100);
      expectCode(() => {
        Fiber.poolSize = '100';
      }, 'ERR_INVALID_ARG_TYPE');
      expectCode(() => {
        Fiber.poolSize = -1;
      }, 'ERR_OUT_OF_RANGE');
    } finally {
      Generator.poolSize = saved;
    }
  });

  it('Fiber.fibersCreated counts the fibers started', () => {
    const before = Fiber.fibersCreated;
    const f = Fiber(() => {});
    assert.equal(Fiber.fibersCreated, before);
    f.run();
    f.run();
    assert.equal(Fiber.fibersCreated, before + 2);
  });

  it('one Fiber per thread, shared through process.fiberLib (as node-fibers shares its copies)', () => {
    assert.equal(process.fiberLib, Fiber);
    const result = runScript(`
      const a = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      for (const k of Object.keys(require.cache)) delete require.cache[k];
      const b = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      console.log(a === b, a === process.fiberLib);
      Fiber = a;
      a(() => console.log(b.current !== undefined && b.current === a.current)).run();`);
    assert.equal(result.stdout, 'true true\ntrue\n', explain(result));
  });

  it('stack overflow inside a fiber is a catchable RangeError', () => {
    const f = Fiber(() => {
      const recurse = () => recurse() + 1;
      try {
        recurse();
      } catch (e) {
        return e.name;
      }
    });
    assert.equal(f.run(), 'RangeError');
  });

  it('fibers run in worker threads, each with its own Fiber.current', async () => {
    const worker = new Worker(
      `const Fiber = require(${JSON.stringify(root + '/dist/fibers.js')});
       const { parentPort } = require('node:worker_threads');
       const f = Fiber(() => { let n = 0; for (;;) n += Fiber.yield(n); });
       f.run();
       f.run(2);
       setTimeout(() => parentPort.postMessage(f.run(3)), 1);`,
      { eval: true },
    );
    const [value] = await Promise.all([new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)), new Promise((resolve) => worker.once('exit', resolve))]);
    assert.equal(value, 5);
  });

  it('fibers inside run(), and run()/wait() inside a fiber: each waits only in its own kind', async () => {
    const inRun = await run(() => {
      const f = Fiber(() => Fiber.yield(1) + 1);
      const first = f.run();
      const x = wait(Promise.resolve(10));
      return first + f.run(x);
    });
    assert.equal(inRun, 12);
    const f = Fiber(() => {
      expectCode(() => wait(Promise.resolve(1)), 'ERR_NOT_IN_GENERATOR');
      return run(() => wait(Promise.resolve('from run')));
    });
    assert.equal(await f.run(), 'from run');
  });
});

describe('fringe/fibers: async hooks (what node-fibers\' test/async-hooks.js checks)', () => {
  it('yield() inside an async scope the fiber entered is refused with ERR_SUSPEND_IN_ASYNC_SCOPE, catchable; the process and the async stack stay sound', () => {
    const resource = new AsyncResource('TestResource');
    const outer = executionAsyncId();
    const f = Fiber(() => {
      resource.runInAsyncScope(() => {
        expectCode(() => Fiber.yield(), 'ERR_SUSPEND_IN_ASYNC_SCOPE');
      });
      Fiber.yield('yielded outside the scope');
      return 'done';
    });
    assert.equal(f.run(), 'yielded outside the scope');
    assert.equal(executionAsyncId(), outer);
    assert.equal(f.run(), 'done');
  });

  it('node-fibers\' async-hooks.js, run to its end in a child with async hook checks: the scope is left before the yield, no abort', () => {
    const result = runScript(`
      const { AsyncResource } = require('async_hooks');
      const Fiber = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      let tmp = Fiber(function() {
        let resource = new AsyncResource('TestResource');
        resource.runInAsyncScope(function() {
          try { Fiber.yield(); } catch (e) { if (e.code !== 'ERR_SUSPEND_IN_ASYNC_SCOPE') throw e; }
        });
        Fiber.yield();
      });
      tmp.run();
      setTimeout(function() { tmp.run(); console.log('pass'); }, 5);`);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout, 'pass\n', explain(result));
    assert.equal(result.stderr, '', explain(result));
  });

  it('a fiber resumed from a timer runs in the timer\'s async context (executionAsyncId is the resumer\'s)', async () => {
    const seen = [];
    const f = Fiber(() => {
      seen.push(executionAsyncId());
      Fiber.yield();
      seen.push(executionAsyncId());
    });
    const first = executionAsyncId();
    f.run();
    const second = await new Promise((resolve) =>
      setTimeout(() => {
        const id = executionAsyncId();
        f.run();
        resolve(id);
      }, 1),
    );
    assert.deepEqual(seen, [first, second]);
  });
});

describe('fringe/fibers: garbage collection', () => {
  it('a yielding fiber nothing references is unwound: yield() throws "This Fiber is a zombie", finally blocks run, later yields throw at once', () => {
    const result = runScript(`
      const Fiber = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      const log = [];
      (function () {
        Fiber(function () {
          let caught = 0;
          try {
            for (let i = 0; i < 3; i++) {
              try { Fiber.yield(); } catch (e) { caught++; log.push(e.message + '/' + e.code + '/' + (Fiber.current === undefined)); }
            }
          } finally {
            log.push('finally after ' + caught);
          }
        }).run();
      })();
      gc();
      setImmediate(() => { gc(); setImmediate(() => { Fiber(() => {}).run(); console.log(JSON.stringify(log)); }); });`, ['--expose-gc']);
    assert.equal(result.stderr, '', explain(result));
    const log = JSON.parse(result.stdout);
    assert.deepEqual(log, [
      'This Fiber is a zombie/ERR_FIBER_ZOMBIE/true',
      'This Fiber is a zombie/ERR_FIBER_ZOMBIE/true',
      'This Fiber is a zombie/ERR_FIBER_ZOMBIE/true',
      'finally after 3',
    ]);
  });

  it('a fiber that holds Fiber.current on its own stack is never collected (node-fibers\' documented leak)', () => {
    const result = runScript(`
      const Fiber = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      let unwound = 0;
      (function () {
        Fiber(function () { const that = Fiber.current; try { Fiber.yield(); } finally { unwound++; } }).run();
      })();
      gc();
      setImmediate(() => { gc(); setImmediate(() => console.log(unwound)); });`, ['--expose-gc']);
    assert.equal(result.stdout, '0\n', explain(result));
  });

  it('Fiber.current and yield() are right again in the code that ran when the collected fiber was unwound', () => {
    const result = runScript(`
      const Fiber = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      (function () { Fiber(function () { try { Fiber.yield(); } catch (e) { try { Fiber.yield(); } catch (e2) {} } }).run(); })();
      gc();
      const f = Fiber(function () { const me = Fiber.current; Fiber.yield(); return me === Fiber.current; });
      f.run();
      console.log(f.run(), Fiber.current === undefined);`, ['--expose-gc']);
    assert.equal(result.stdout, 'true true\n', explain(result));
    assert.equal(result.stderr, '');
  });
});

describe('fringe/fibers: what node-fibers crashed on', () => {
  it('a collected fiber that throws something else while unwound: a FRINGE_UNWIND_ERROR warning, where node-fibers exited', () => {
    const result = runScript(`
      const Fiber = require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      process.on('warning', (w) => console.log(w.code, /thrown while unwinding|threw while being unwound/.test(w.message), /from the fiber/.test(w.message)));
      (function () { Fiber(function () { try { Fiber.yield(); } catch (e) { throw new Error('from the fiber'); } }).run(); })();
      gc();
      setImmediate(() => { gc(); setImmediate(() => setImmediate(() => console.log('still running'))); });`, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout, 'FRINGE_UNWIND_ERROR true true\nstill running\n', explain(result));
  });
});

describe('fringe/fibers: types', () => {
  it('code typed against @types/fibers compiles against fringe/fibers and fringe/fibers/future (tsc --strict, node16 resolution)', function () {
    this.timeout(slower(120000));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-fibers-types-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'fringe'), 'dir');
      fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "t", "private": true }');
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: [], typeRoots: [path.join(root, 'node_modules', '@types')], lib: ['es2022', 'esnext.disposable'] }, files: ['main.ts'] }),
      );
      fs.writeFileSync(
        path.join(dir, 'main.ts'),
        `import Fiber = require('fringe/fibers');
         import Future = require('fringe/fibers/future');
         const f = Fiber((x: number) => Fiber.yield<number>(x) + 1);
         const g = new Fiber(() => {});
         const first: number = f.run(1);
         const started: boolean = f.started;
         f.throwInto(new Error('x'));
         f.reset();
         const cur = Fiber.current;
         if (cur) cur.run();
         Fiber.poolSize = Fiber.fibersCreated;
         const fut = new Future<string>();
         fut.resolve((err, v) => { void err; void v; });
         fut.return('s');
         const s: string = fut.wait();
         Future.wait(fut, [fut]);
         const wrapped = Future.wrap((a: number, cb: (e: unknown, r?: number) => void) => cb(null, a));
         const n: Future<number> = wrapped(1);
         const t: Future<number> = Future.task(() => 1);
         const p: Promise<string> = fut.promise();
         const fromP: Future<number> = Future.fromPromise(Promise.resolve(1));
         const fn = function (a: number) { return a; }.future<number>();
         const r: Future<number> = fn(2);
         void [g, first, started, s, n, t, p, fromP, r];
         // @ts-expect-error: started is read-only
         f.started = true;
        `,
      );
      const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stdout + result.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A future resolved after `ms` milliseconds (0: on the next tick) with `value`. */
function timer(ms, value) {
  const future = new Future();
  const done = () => future.return(value);
  ms ? setTimeout(done, ms) : process.nextTick(done);
  return future;
}

/** Runs `fn` in a fiber; a promise of what it returns. */
function inFiber(fn) {
  return new Promise((resolve, reject) => {
    Fiber(() => {
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    }).run();
  });
}

describe('fringe/fibers/future: Future', () => {
  it('wait() in a fiber returns the value; get() then returns it too', async () => {
    const value = await inFiber(() => {
      const f = timer(5, 'v');
      assert.equal(f.isResolved(), false);
      return [f.wait(), f.get(), f.isResolved()];
    });
    assert.deepEqual(value, ['v', 'v', true]);
  });

  it('wait() throws what the future threw, the same object; get() links the stacks where V8 lets it', async () => {
    const boom = new Error('boom');
    await inFiber(() => {
      const f = new Future();
      setTimeout(() => f.throw(boom), 1);
      assert.throws(() => f.wait(), (e) => e === boom);
      // node-fibers' get() splices the stack of the get() call into the
      // error's where `stack` is an accessor: V8 makes it one from Node 22
      // on (Node 14 and 20 have a data property, which it leaves alone).
      const linked = typeof Object.getOwnPropertyDescriptor(new Error(), 'stack').get === 'function';
      assert.throws(() => f.get(), (e) => e === boom && /    - - - - -/.test(e.stack) === linked);
    });
  });

  it('Future.wait(a, b), Future.wait([a, b]) and mixes wait for all; it does not throw their exceptions', async () => {
    await inFiber(() => {
      const order = [];
      const a = timer(10, 'a');
      const b = timer(0, 'b');
      a.resolve(() => order.push('a'));
      b.resolve(() => order.push('b'));
      Future.wait(a, b);
      assert.deepEqual([a.get(), b.get()], ['a', 'b']);
      const c = timer(1, 'c');
      const d = new Future();
      setTimeout(() => d.throw(new Error('d')), 2);
      const e = timer(0, 'e');
      Future.wait([c, d], e);
      assert.ok(c.isResolved() && d.isResolved() && e.isResolved());
      assert.deepEqual(order, ['b', 'a']);
    });
  });

  it('Future.wait() outside a fiber: Error "Can\'t wait without a fiber" (ERR_NOT_IN_FIBER); a non-future: Error "... is not a future"', () => {
    expectCode(() => Future.wait(new Future()), 'ERR_NOT_IN_FIBER', /^Can't wait without a fiber$/);
    expectCode(() => Future.wait(1), 'ERR_NOT_A_FUTURE', /^1 is not a future$/);
    expectCode(() => Future.wait([new Future(), 'x']), 'ERR_NOT_A_FUTURE', /^x is not a future$/);
  });

  it('return() / throw() twice: "Future resolved more than once"; throw() of a falsy value: "Must throw non-empty error"; get() too early: "Future must resolve before value is ready"', () => {
    const f = new Future();
    expectCode(() => f.get(), 'ERR_FUTURE_NOT_RESOLVED', /^Future must resolve before value is ready$/);
    expectCode(() => f.throw(null), 'ERR_FUTURE_EMPTY_ERROR', /^Must throw non-empty error$/);
    f.return(1);
    expectCode(() => f.return(2), 'ERR_FUTURE_RESOLVED', /^Future resolved more than once$/);
    expectCode(() => f.throw(new Error()), 'ERR_FUTURE_RESOLVED');
  });

  it('resolve(errback) calls back at once when resolved, later otherwise; resolve(future, callback) throws errors into the future', () => {
    const calls = [];
    const f = new Future();
    assert.equal(
      f.resolve((err, v) => calls.push(['later', err, v])),
      f,
    );
    f.return(4);
    f.resolve((err, v) => calls.push(['now', err, v]));
    assert.deepEqual(calls, [
      ['later', undefined, 4],
      ['now', undefined, 4],
    ]);
    const failing = new Future();
    const target = new Future();
    const boom = new Error('x');
    failing.resolve(target, () => assert.fail('not called'));
    failing.throw(boom);
    assert.throws(() => target.get(), (e) => e === boom);
    const ok = new Future();
    ok.return('y');
    let got;
    ok.resolve(new Future(), (v) => (got = v));
    assert.equal(got, 'y');
  });

  it('resolver() is a node-style callback; proxy() and proxyErrors() forward; resolveSuccess() only on success', () => {
    const a = new Future();
    a.resolver()(null, 'value');
    assert.equal(a.get(), 'value');
    const b = new Future();
    const boom = new Error('b');
    b.resolver()(boom);
    assert.throws(() => b.get(), (e) => e === boom);
    const source = new Future();
    const copy = new Future();
    source.proxy(copy);
    source.return(9);
    assert.equal(copy.get(), 9);
    const failing = new Future();
    const targets = [new Future(), new Future()];
    let successes = 0;
    failing.proxyErrors(targets).resolveSuccess(() => successes++);
    failing.throw(boom);
    assert.ok(targets.every((t) => t.isResolved()));
    assert.equal(successes, 0);
  });

  it('Future.wrap(fn) returns futures; `_` is what fn returned; multi gives the callback values as an array', async () => {
    const add = (a, b, cb) => {
      setImmediate(() => cb(null, a + b, a - b));
      return 'returned';
    };
    await inFiber(() => {
      const f = Future.wrap(add)(5, 3);
      assert.equal(f._, 'returned');
      assert.equal(f.wait(), 8);
      assert.deepEqual(Future.wrap(add, true)(5, 3).wait(), [8, 2]);
    });
  });

  it('Future.wrap(object) adds <name>Future methods (or <name><suffix>) that keep `this`', async () => {
    const fs = Future.wrap(require('node:fs'));
    const obj = Future.wrap({ k: 2, twice(x, cb) { setImmediate(() => cb(null, x * this.k)); } }, false, 'F');
    await inFiber(() => {
      assert.ok(fs.readdirFuture(root).wait().includes('package.json'));
      assert.equal(obj.twiceF(4).wait(), 8);
      assert.equal(typeof obj.twice, 'function');
    });
  });

  it('Future.task(fn) runs fn in a fiber of its own; Future.task(f, g) runs both and resolves with both values', async () => {
    const one = Future.task(() => timer(1, 'one').wait());
    assert.equal(one.isResolved(), false);
    const both = Future.task(
      () => timer(2, 'a').wait(),
      () => 'b',
    );
    assert.equal(await one.promise(), 'one');
    assert.deepEqual(await both.promise(), ['a', 'b']);
  });

  it('fn.future() calls fn in a fiber with its `this` and arguments and returns a future of its result', async () => {
    const obj = {
      k: 3,
      mul: function (x) {
        return timer(1, x * this.k).wait();
      }.future(),
    };
    assert.equal(await obj.mul(2).promise(), 6);
    assert.match(String(obj.mul), /^<<Future function \(x\)/);
  });

  it('Future.wait() of one future of fn.future() that has not started runs fn in the waiting fiber', async () => {
    let ranIn;
    let waiter;
    const task = function () {
      ranIn = Fiber.current;
      return 1;
    }.future();
    await inFiber(() => {
      waiter = Fiber.current;
      const f = task();
      Future.wait(f);
      assert.equal(f.get(), 1);
    });
    assert.equal(ranIn, waiter);
  });

  it('detach(): an exception of the future reaches the event loop (uncaughtException)', () => {
    const result = runScript(`
      const Future = require(process.env.FRINGE_ROOT + '/dist/fibers-future.js');
      process.on('uncaughtException', (e) => console.log('uncaught', e.message));
      Future.task(() => { throw new Error('detached'); }).detach();`);
    assert.equal(result.stdout, 'uncaught detached\n', explain(result));
  });

  it('an exception thrown by a callback of return() is rethrown on the next tick, and the other callbacks still run', () => {
    const result = runScript(`
      const Future = require(process.env.FRINGE_ROOT + '/dist/fibers-future.js');
      process.on('uncaughtException', (e) => console.log('uncaught', e.message));
      const f = new Future();
      f.resolve(() => { throw new Error('cb'); });
      f.resolve(() => console.log('second ran'));
      f.return(1);
      console.log('return() returned');`);
    assert.equal(result.stdout, 'second ran\nreturn() returned\nuncaught cb\n', explain(result));
  });

  it('Future.fromPromise() and future.promise() convert both ways', async () => {
    await inFiber(() => {
      assert.equal(Future.fromPromise(Promise.resolve(1)).wait(), 1);
      const boom = new Error('p');
      assert.throws(() => Future.fromPromise(Promise.reject(boom)).wait(), (e) => e === boom);
    });
    const f = new Future();
    setTimeout(() => f.throw(new Error('rejected')), 1);
    await assert.rejects(f.promise(), /rejected/);
  });

  it('Function.prototype.future exists once fibers/future is loaded, not before (as in node-fibers); the prototype is a plain object', () => {
    const result = runScript(`
      require(process.env.FRINGE_ROOT + '/dist/fibers.js');
      const before = 'future' in Function.prototype;
      const Future = require(process.env.FRINGE_ROOT + '/dist/fibers-future.js');
      console.log(before, typeof Function.prototype.future, Object.keys(Future.prototype).join());`);
    assert.equal(result.stdout, 'false function get,return,throw,detach,isResolved,resolver,resolve,resolveSuccess,proxy,proxyErrors,promise,wait\n', explain(result));
  });

  it("the README's sleep example: calcTimerDelta(ms).resolve() reports the time waited", async () => {
    const calcTimerDelta = function (ms) {
      const start = Date.now();
      timer(ms).wait();
      return Date.now() - start;
    }.future();
    const waited = await new Promise((resolve, reject) => calcTimerDelta(30).resolve((err, val) => (err ? reject(err) : resolve(val))));
    assert.ok(waited >= 29, String(waited));
  });
});
