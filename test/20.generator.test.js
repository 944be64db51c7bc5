'use strict';
// Generator semantics: one rule per `it`, with error codes and messages.

const assert = require('node:assert/strict');
const { Generator, GeneratorReturn, OsStack, Yielder, suspend, current, supported, unsupportedReason } = require('..');
const { runScript, describe: explain } = require('./helpers/child');
const { expectCode } = require('./helpers/errors');
const { emulated } = require('./helpers/emulation');

describe('fringe on this runtime', () => {
  it(`is supported (Node ${process.versions.node} on x86_64 Linux)`, () => {
    assert.equal(supported, true, unsupportedReason);
    assert.equal(unsupportedReason, undefined);
  });

  it('finds V8 internals in the dynamic symbol table up to Node 24.11.0, in .symtab after (hidden visibility)', () => {
    const { binding } = require('../dist/binding.js');
    const [major, minor] = process.versions.node.split('.').map(Number);
    const hidden = major > 24 || (major === 24 && minor >= 11);
    assert.equal(binding.symbolSource, hidden ? '.symtab' : 'dynamic symbols');
  });

  it('is one library per thread: a second copy loaded from a cleared require cache hands out the first one\'s exports', () => {
    const result = runScript(`
      const root = process.env.FRINGE_ROOT;
      const first = require(root);
      const suspended = new first.Generator((y) => y.suspend(1) + 1);
      suspended.resume();
      for (const key of Object.keys(require.cache)) if (key.startsWith(root)) delete require.cache[key];
      const second = require(root);
      const g = new second.Generator((y, x) => y.suspend(x * 2) + 1);
      console.log(first === second, g.resume(5), g.resume(1), suspended.resume(10));
    `);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout, 'true 10 2 11\n');
  });
});

describe('new Generator()', () => {
  it('throws TypeError "Expected body to be a function" for a body that is not a function', () => {
    for (const bad of [undefined, null, 42, 'body', {}, [], Symbol('x')]) {
      assert.throws(() => new Generator(bad), (e) => {
        assert.ok(e instanceof TypeError);
        assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /^Expected body to be a function, got /);
        return true;
      });
    }
  });

  it('throws TypeError for a stack that is neither an OsStack nor a number', () => {
    for (const bad of ['1024', {}, [], null, 10n]) {
      assert.throws(() => new Generator(() => {}, bad), (e) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /^Expected stack to be an OsStack or a number of bytes, got /);
        return true;
      });
    }
  });

  it('throws RangeError for a stack size that is too small, fractional, negative or not finite', () => {
    for (const bad of [0, 4096, 1.5, -1, NaN, Infinity, 2 ** 60]) {
      assert.throws(() => new Generator(() => {}, bad), (e) => {
        assert.ok(e instanceof RangeError, String(e));
        assert.equal(e.code, 'ERR_OUT_OF_RANGE');
        assert.match(e.message, /^Expected stack to be an integer from \d+ to \d+ \(bytes\), got /);
        return true;
      });
    }
  });

  it('accepts a size in bytes or an OsStack', () => {
    assert.equal(new Generator(() => 1, 256 * 1024).resume(), 1);
    assert.equal(new Generator(() => 2, new OsStack()).resume(), 2);
  });

  it('does not run the body before the first resume', () => {
    let ran = false;
    const gen = new Generator(() => {
      ran = true;
    });
    assert.equal(ran, false);
    assert.equal(gen.state, 'suspended');
  });
});

describe('Generator#resume()', () => {
  it('calls body(yielder, input) on the first resume, with `this` undefined', () => {
    let args;
    let self = 'unset';
    const gen = new Generator(function (...a) {
      args = a;
      self = this;
    });
    gen.resume('first');
    assert.equal(args.length, 2);
    assert.ok(args[0] instanceof Yielder);
    assert.equal(args[1], 'first');
    assert.equal(self, undefined);
  });

  it('makes the pending suspend() return the input of each later resume', () => {
    const seen = [];
    const gen = new Generator((yielder) => {
      for (let i = 0; i < 3; i++) seen.push(yielder.suspend(i));
    });
    gen.resume('a');
    gen.resume('b');
    gen.resume({ c: 1 });
    gen.resume(undefined);
    assert.deepEqual(seen, ['b', { c: 1 }, undefined]);
  });

  it('returns the suspended value, then the returned value', () => {
    const gen = new Generator((y) => {
      y.suspend('one');
      y.suspend('two');
      return 'three';
    });
    assert.equal(gen.resume(), 'one');
    assert.equal(gen.state, 'suspended');
    assert.equal(gen.resume(), 'two');
    assert.equal(gen.resume(), 'three');
    assert.equal(gen.state, 'done');
  });

  it('suspends from any call depth', () => {
    const depth = (n) => (n === 0 ? suspend('bottom') : depth(n - 1) + 1);
    const gen = new Generator(() => depth(2000));
    assert.equal(gen.resume(), 'bottom');
    assert.equal(gen.resume(5), 2005);
  });

  it('reports state "running" inside the body', () => {
    let inside;
    const gen = new Generator(() => {
      inside = gen.state;
    });
    gen.resume();
    assert.equal(inside, 'running');
  });

  it('throws ERR_GENERATOR_DONE on a finished generator', () => {
    const gen = new Generator(() => 1);
    gen.resume();
    expectCode(() => gen.resume(), 'ERR_GENERATOR_DONE', /^Cannot resume a generator that has finished\. [A-Z][^\n]*[^.]$/);
  });

  it('throws ERR_GENERATOR_RUNNING when a generator resumes itself', () => {
    const gen = new Generator(() => {
      expectCode(() => gen.resume(), 'ERR_GENERATOR_RUNNING', /^Cannot resume a generator that is already running\. [A-Z][^\n]*[^.]$/);
      return 'ok';
    });
    assert.equal(gen.resume(), 'ok');
  });

  it('throws ERR_GENERATOR_RUNNING when resumed from a generator it resumed', () => {
    const outer = new Generator(() => {
      const inner = new Generator(() => {
        expectCode(() => outer.resume(), 'ERR_GENERATOR_RUNNING');
        return 'inner';
      });
      return inner.resume();
    });
    assert.equal(outer.resume(), 'inner');
  });

  it('propagates an exception from the body with its stack intact, and the generator is done', () => {
    function deepInTheBody() {
      throw new Error('boom');
    }
    const gen = new Generator(() => {
      suspend();
      deepInTheBody();
    });
    gen.resume();
    const thrown = (() => {
      try {
        gen.resume();
      } catch (e) {
        return e;
      }
    })();
    assert.equal(thrown.message, 'boom');
    assert.match(thrown.stack, /deepInTheBody/);
    assert.equal(gen.state, 'done');
  });

  it('propagates non-Error throw values unchanged', () => {
    const token = { token: true };
    const gen = new Generator(() => {
      throw token;
    });
    assert.throws(() => gen.resume(), (e) => e === token);
  });
});

describe('Generator#next()', () => {
  it('returns iterator results and { value: undefined, done: true } once done', () => {
    const gen = new Generator((y, first) => {
      const second = y.suspend(first + 1);
      return second * 2;
    });
    assert.deepEqual(gen.next(1), { value: 2, done: false });
    assert.deepEqual(gen.next(5), { value: 10, done: true });
    assert.deepEqual(gen.next(), { value: undefined, done: true });
    assert.deepEqual(gen.next(), { value: undefined, done: true });
  });

  it('is an iterable: for-of, spread, and break calls return()', () => {
    const gen = () =>
      new Generator(() => {
        for (let i = 0; i < 5; i++) suspend(i);
      });
    assert.deepEqual([...gen()], [0, 1, 2, 3, 4]);
    let cleaned = false;
    const g = new Generator(() => {
      try {
        for (let i = 0; ; i++) suspend(i);
      } finally {
        cleaned = true;
      }
    });
    for (const v of g) if (v === 2) break;
    assert.equal(cleaned, true);
    assert.equal(g.state, 'done');
    assert.equal(g[Symbol.iterator](), g);
  });
});

describe('suspend()', () => {
  it('throws ERR_NOT_IN_GENERATOR outside any generator', () => {
    expectCode(() => suspend(1), 'ERR_NOT_IN_GENERATOR', /^suspend\(\) called outside of a generator\. [A-Z][^\n]*[^.]$/);
  });

  it('suspends the innermost running generator', () => {
    const inner = new Generator(() => {
      suspend('from inner');
      return 'inner done';
    });
    const outer = new Generator(() => {
      const a = inner.resume();
      suspend(a + ' via outer');
      return inner.resume();
    });
    assert.equal(outer.resume(), 'from inner via outer');
    assert.equal(outer.resume(), 'inner done');
  });
});

describe('Yielder#suspend()', () => {
  it('throws ERR_WRONG_GENERATOR when its generator is not the innermost running one', () => {
    const outer = new Generator((outerYielder) => {
      const inner = new Generator(() => {
        expectCode(
          () => outerYielder.suspend('wrong'),
          'ERR_WRONG_GENERATOR',
          /^This yielder belongs to a generator that is not the innermost running one\. [A-Z][^\n]*[^.]$/,
        );
        return 'inner';
      });
      return inner.resume();
    });
    assert.equal(outer.resume(), 'inner');
  });

  it('throws ERR_NOT_IN_GENERATOR when no generator runs', () => {
    let saved;
    const gen = new Generator((y) => {
      saved = y;
      y.suspend();
    });
    gen.resume();
    expectCode(() => saved.suspend(1), 'ERR_NOT_IN_GENERATOR');
    gen.resume();
    expectCode(() => saved.suspend(1), 'ERR_NOT_IN_GENERATOR');
  });
});

describe('Generator#throw()', () => {
  it('makes the pending suspend() throw the error, which the body may catch', () => {
    const gen = new Generator((y) => {
      try {
        y.suspend(1);
      } catch (e) {
        return y.suspend(`caught ${e.message}`);
      }
    });
    gen.next();
    assert.deepEqual(gen.throw(new Error('oops')), { value: 'caught oops', done: false });
    assert.deepEqual(gen.next('end'), { value: 'end', done: true });
  });

  it('rethrows an error the body does not catch, and the generator is done', () => {
    const gen = new Generator((y) => y.suspend(1));
    gen.next();
    const e = new Error('unhandled');
    assert.throws(() => gen.throw(e), (x) => x === e);
    assert.equal(gen.state, 'done');
  });

  it('before the first resume finishes the generator and throws, without running the body', () => {
    let ran = false;
    const gen = new Generator(() => {
      ran = true;
    });
    const e = new Error('early');
    assert.throws(() => gen.throw(e), (x) => x === e);
    assert.equal(ran, false);
    assert.equal(gen.state, 'done');
  });

  it('on a finished generator throws the error', () => {
    const gen = new Generator(() => 1);
    gen.next();
    const e = new Error('late');
    assert.throws(() => gen.throw(e), (x) => x === e);
  });
});

describe('Generator#return()', () => {
  it('unwinds a suspended body through its finally blocks: { value, done: true }', () => {
    const log = [];
    const gen = new Generator((y) => {
      try {
        try {
          y.suspend(1);
          log.push('not reached');
        } finally {
          log.push('inner finally');
        }
      } finally {
        log.push('outer finally');
      }
    });
    gen.next();
    assert.deepEqual(gen.return('bye'), { value: 'bye', done: true });
    assert.deepEqual(log, ['inner finally', 'outer finally']);
    assert.equal(gen.state, 'done');
  });

  it('gives { value, done: false } when the body suspends again while unwinding, as a JS generator does', () => {
    const gen = new Generator((y) => {
      try {
        y.suspend(1);
      } finally {
        y.suspend('cleaning up');
      }
    });
    gen.next();
    assert.deepEqual(gen.return('v'), { value: 'cleaning up', done: false });
    assert.deepEqual(gen.next(), { value: 'v', done: true });
    function* reference() {
      try {
        yield 1;
      } finally {
        yield 'cleaning up';
      }
    }
    const ref = reference();
    ref.next();
    assert.deepEqual(ref.return('v'), { value: 'cleaning up', done: false });
    assert.deepEqual(ref.next(), { value: 'v', done: true });
  });

  it('lets catch blocks see the GeneratorReturn, which carries the value', () => {
    let seen;
    const gen = new Generator((y) => {
      try {
        y.suspend(1);
      } catch (e) {
        seen = e;
        throw e;
      }
    });
    gen.next();
    assert.deepEqual(gen.return(7), { value: 7, done: true });
    assert.ok(seen instanceof GeneratorReturn);
    assert.equal(seen.value, 7);
    assert.ok(!(seen instanceof Error));
  });

  it('returns what the body returns if it catches the GeneratorReturn', () => {
    const gen = new Generator((y) => {
      try {
        y.suspend(1);
      } catch {
        return 'swallowed';
      }
    });
    gen.next();
    assert.deepEqual(gen.return(7), { value: 'swallowed', done: true });
  });

  it('before the first resume just finishes with { value, done: true }', () => {
    let ran = false;
    const gen = new Generator(() => {
      ran = true;
    });
    assert.deepEqual(gen.return(3), { value: 3, done: true });
    assert.equal(ran, false);
    assert.equal(gen.state, 'done');
  });

  it('on a finished generator returns { value, done: true }', () => {
    const gen = new Generator(() => 1);
    gen.next();
    assert.deepEqual(gen.return(9), { value: 9, done: true });
  });

  it('is what `using` calls ([Symbol.dispose])', () => {
    let cleaned = false;
    const gen = new Generator((y) => {
      try {
        y.suspend(1);
      } finally {
        cleaned = true;
      }
    });
    gen.next();
    gen[Symbol.dispose]();
    assert.equal(cleaned, true);
  });
});

describe('nesting and resumers', () => {
  it('nests to any depth', () => {
    const depth = 100;
    const make = (n) =>
      new Generator(() => {
        if (n === 0) return suspend('bottom') + 1;
        const inner = make(n - 1);
        const v = inner.resume();
        suspend(v);
        return inner.resume(0) + 1;
      });
    const top = make(depth);
    assert.equal(top.resume(), 'bottom');
    assert.equal(top.resume(), depth + 1);
  });

  it('can be resumed from different callers over its life: timers, promise callbacks, other generators', async () => {
    const trail = [];
    const gen = new Generator((y) => {
      for (;;) trail.push(y.suspend());
    });
    gen.resume();
    gen.resume('sync');
    await new Promise((resolve) =>
      setTimeout(() => {
        gen.resume('timer');
        resolve();
      }, 1),
    );
    await Promise.resolve().then(() => gen.resume('promise'));
    new Generator(() => gen.resume('generator')).resume();
    setImmediate(() => gen.resume('immediate'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(trail, ['sync', 'timer', 'promise', 'generator', 'immediate']);
  });
});

describe('current()', () => {
  it('is undefined outside, the generator inside, and the innermost one when nested', () => {
    assert.equal(current(), undefined);
    let seenOuter, seenInner, seenAfter;
    const outer = new Generator(() => {
      seenOuter = current();
      const inner = new Generator(() => {
        seenInner = current();
        suspend();
      });
      inner.resume();
      seenAfter = current();
    });
    outer.resume();
    assert.equal(seenOuter, outer);
    assert.ok(seenInner instanceof Generator);
    assert.notEqual(seenInner, outer);
    assert.equal(seenAfter, outer);
    assert.equal(current(), undefined);
  });
});

describe('Generator#unwrap()', () => {
  it('returns the OsStack the generator was given, which can carry another one', () => {
    const stack = new OsStack();
    const gen = new Generator(() => 1, stack);
    gen.resume();
    assert.equal(gen.unwrap(), stack);
    assert.equal(new Generator(() => 2, stack).resume(), 2);
  });

  it('returns an OsStack of the same size for a generator given a size', () => {
    const gen = new Generator(() => 1, 512 * 1024);
    gen.resume();
    const stack = gen.unwrap();
    assert.ok(stack instanceof OsStack);
    assert.equal(stack.size, 512 * 1024);
    assert.equal(gen.unwrap(), stack);
  });

  it('throws ERR_GENERATOR_NOT_DONE before the generator has finished', () => {
    const gen = new Generator((y) => {
      expectCode(() => gen.unwrap(), 'ERR_GENERATOR_NOT_DONE', /running/);
      y.suspend();
    });
    expectCode(() => gen.unwrap(), 'ERR_GENERATOR_NOT_DONE', /suspended/);
    gen.resume();
    expectCode(() => gen.unwrap(), 'ERR_GENERATOR_NOT_DONE', /suspended/);
  });

  it('reports a failed mapping as ERR_STACK_ALLOCATION with the size it asked for', function () {
    // qemu-user keeps flags per guest page: 32 TiB mappings take it many
    // minutes (test/10 says more).
    if (emulated) this.skip();
    // No pooled stack to hand out, and no address space left for a new one.
    const result = runScript(`
      const { Generator, OsStack } = require(process.env.FRINGE_ROOT);
      Generator.poolSize = 0;
      const gen = new Generator(() => 1, 2 ** 45);
      gen.resume();
      const stacks = [];
      try { for (;;) stacks.push(new OsStack(2 ** 45)); } catch {}
      try { gen.unwrap(); console.log('mapped'); } catch (e) { console.log(e.code, e.message); }
    `);
    assert.equal(result.status, 0, explain(result));
    assert.match(result.stdout, /^ERR_STACK_ALLOCATION Cannot map a stack of 35184372088832 bytes: /);
  });
});

describe('Generator.poolSize', () => {
  it('throws TypeError for a size that is not a number, RangeError outside 0..65536', () => {
    const before = Generator.poolSize;
    for (const bad of ['8', null, 8n]) {
      assert.throws(() => { Generator.poolSize = bad; }, (e) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /^Expected poolSize to be a number, got /);
        return true;
      });
    }
    for (const bad of [-1, 1.5, 65537, NaN]) {
      assert.throws(() => { Generator.poolSize = bad; }, (e) => {
        assert.ok(e instanceof RangeError, String(e));
        assert.equal(e.code, 'ERR_OUT_OF_RANGE');
        assert.match(e.message, /^Expected poolSize to be an integer from 0 to 65536, got number \(/);
        return true;
      });
    }
    assert.equal(Generator.poolSize, before);
  });

  it('warmed with 300 ended generators, gives their stacks and touched pages to the next 300 that stay suspended', () => {
    // docs/API.md: raising poolSize, then making and ending generators, pays
    // for later generators' stacks ahead of time.
    const result = runScript(`
      const { Generator, suspend, report } = require(process.env.FRINGE_ROOT);
      const N = 300;
      const body = () => { for (;;) suspend(); };
      const keepSuspended = () => Array.from({ length: N }, () => { const g = new Generator(body); g.resume(); return g; });
      Generator.poolSize = N;
      for (const g of keepSuspended()) g.return();
      const warmed = report();
      const kept = keepSuspended();
      const after = report();
      console.log(JSON.stringify({ warmed, after, kept: kept.length }));
    `);
    assert.equal(result.status, 0, explain(result));
    const { warmed, after } = JSON.parse(result.stdout);
    assert.equal(warmed.pooled, 300);
    assert.equal(warmed.live, 0);
    assert.equal(after.pooled, 0);
    assert.equal(after.live, 300);
    // No stack was mapped for them, and their pages were resident already.
    assert.equal(after.stackBytesMapped, warmed.stackBytesMapped);
    assert.ok(warmed.stackBytesTouched >= 300 * 4096, JSON.stringify(warmed));
    assert.ok(after.stackBytesTouched <= warmed.stackBytesTouched * 1.1, JSON.stringify({ warmed, after }));
  });
});

describe('OsStack ownership', () => {
  it('cannot be released while a live generator owns it (ERR_STACK_IN_USE), and can after', () => {
    const stack = new OsStack();
    const gen = new Generator((y) => y.suspend(), stack);
    expectCode(() => stack.release(), 'ERR_STACK_IN_USE');
    gen.resume();
    expectCode(() => stack.release(), 'ERR_STACK_IN_USE');
    gen.resume();
    stack.release();
    assert.equal(stack.released, true);
  });

  it('cannot carry two generators at once (ERR_STACK_IN_USE)', () => {
    const stack = new OsStack();
    const gen = new Generator((y) => y.suspend(), stack);
    expectCode(() => new Generator(() => {}, stack), 'ERR_STACK_IN_USE',
      /^Expected stack to be an OsStack not in use, got one that an unfinished generator runs on\. [A-Z][^\n]*[^.]$/);
    gen.return();
  });

  it('cannot carry a generator once released (ERR_STACK_RELEASED)', () => {
    const stack = new OsStack();
    stack.release();
    expectCode(() => new Generator(() => {}, stack), 'ERR_STACK_RELEASED',
      /^Expected stack to be an OsStack that has not been released, got a released one\. [A-Z][^\n]*[^.]$/);
  });

  it('must be made by new OsStack(), not merely inherit its prototype (TypeError)', () => {
    assert.throws(() => new Generator(() => {}, Object.create(OsStack.prototype)), (e) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
      assert.match(e.message, /^Expected stack to be an OsStack made by new OsStack\(\) or Generator#unwrap\(\), or a number of bytes, got /);
      return true;
    });
  });

  it('is named options.stack in the errors of run()', () => {
    const { run } = require('..');
    const stack = new OsStack();
    const gen = new Generator((y) => y.suspend(), stack);
    gen.resume();
    expectCode(() => run(() => 1, { stack }), 'ERR_STACK_IN_USE', /^Expected options\.stack to be an OsStack not in use/);
    gen.resume();
    stack.release();
    expectCode(() => run(() => 1, { stack }), 'ERR_STACK_RELEASED', /^Expected options\.stack to be an OsStack that has not been released/);
    expectCode(() => run(() => 1, { stack: Object.create(OsStack.prototype) }), 'ERR_INVALID_ARG_TYPE', /^Expected options\.stack to be an OsStack made by/);
  });

  it('is free again after return() or throw() before the first resume', () => {
    const stack = new OsStack();
    new Generator(() => {}, stack).return();
    stack.release();
    const other = new OsStack();
    assert.throws(() => new Generator(() => {}, other).throw(new Error('x')));
    other.release();
  });
});

describe('unreachable suspended generators', () => {
  it('are unwound like return() at a safe point (not inside GC), and their finally blocks run', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      let finallies = 0, ranInsideGc = false;
      function spawn() {
        const g = new Generator(() => {
          try { suspend(); } finally {
            // A finally block that allocates, collects and creates generators:
            // impossible inside a GC callback.
            const junk = new Array(1000).fill({});
            gc();
            new Generator(() => junk.length).resume();
            finallies++;
          }
        });
        g.resume();
      }
      for (let i = 0; i < 50; i++) spawn();
      gc();
      new Generator(() => {}).resume();  // a safe point
      setImmediate(() => { gc(); setImmediate(() => console.log(JSON.stringify({ finallies }))); });
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(JSON.parse(result.stdout.trim()).finallies, 50);
  });

  it('are not kept alive by their yielder or stack, even when code outside keeps the yielder', () => {
    const result = runScript(`
      const { Generator } = require(process.env.FRINGE_ROOT);
      let finallies = 0;
      const kept = [];
      for (let i = 0; i < 20; i++) {
        const g = new Generator((yielder) => {
          kept.push(yielder);
          const self = yielder;  // the body itself holds its yielder on the stack
          try { self.suspend(); } finally { finallies++; }
        });
        g.resume();
      }
      gc();
      setImmediate(() => { gc(); setImmediate(() => console.log(finallies, kept.length)); });
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout.trim(), '20 20');
  });

  it('report an error thrown while unwinding as a FringeWarning', () => {
    const result = runScript(`
      const { Generator } = require(process.env.FRINGE_ROOT);
      process.on('warning', (w) => console.log(w.name, w.code, /cleanup failed/.test(w.message)));
      (function spawn() {
        new Generator((y) => { try { y.suspend(); } finally { throw new Error('cleanup failed'); } }).resume();
      })();
      gc();
      setImmediate(() => {});
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout.trim(), 'FringeWarning FRINGE_UNWIND_ERROR true');
  });

  it('warn when a body keeps suspending while being unwound and is abandoned (FRINGE_UNWIND_ABANDONED)', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      process.on('warning', (w) => console.log(w.name, w.code, /suspended again each of the 1000 times/.test(w.message)));
      (function spawn() {
        // Swallows every GeneratorReturn and suspends again.
        new Generator(() => { for (;;) { try { suspend(); } catch {} } }).resume();
      })();
      gc();
      setImmediate(() => {});
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout.trim(), 'FringeWarning FRINGE_UNWIND_ABANDONED true');
  });
});

describe('worker_threads', () => {
  it('run generators inside a worker (each isolate on its own)', async () => {
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(
      `const { parentPort } = require('worker_threads');
       const { Generator, suspend } = require(${JSON.stringify(require.resolve('..'))});
       const walk = (n) => { if (n > 0) { walk(n - 1); suspend(n); } };
       parentPort.postMessage([...new Generator(() => walk(5))]);`,
      { eval: true },
    );
    const [message] = await Promise.all([
      new Promise((resolve, reject) => {
        worker.on('message', resolve);
        worker.on('error', reject);
      }),
    ]);
    assert.deepEqual(message, [1, 2, 3, 4, 5]);
    await new Promise((resolve) => worker.on('exit', resolve));
  });

  it('cannot be handed to another thread: posting a Generator throws DataCloneError (Node 20) or delivers an empty object', async () => {
    // Node 20's serializer refuses objects with internal fields; from Node 22
    // it sends them as empty plain objects. Either way nothing of the
    // generator reaches the other side.
    const { MessageChannel } = require('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    const gen = new Generator((y) => y.suspend());
    gen.resume();
    const received = [];
    port2.on('message', (m) => received.push(m));
    let refused = 0;
    for (const message of [gen, { nested: [gen] }]) {
      try {
        port1.postMessage(message);
      } catch (e) {
        assert.equal(e.name, 'DataCloneError');
        refused++;
      }
    }
    // Node 20 refuses both; later versions send both.
    assert.equal(refused, Number(process.versions.node.split('.')[0]) === 20 ? 2 : 0, 'messages refused');
    port1.postMessage('end');
    await new Promise((resolve) => port2.on('message', (m) => m === 'end' && resolve()));
    // Closed before any assertion can fail: open ports would keep mocha alive.
    port1.close();
    port2.close();
    // Every message sent arrived (the loop below checks each one), 'end' last.
    assert.equal(received.length, 2 - refused + 1);
    assert.equal(received.at(-1), 'end');
    assert.deepEqual(received.slice(0, -1).map((m) => (m.nested ? 'nested' : 'plain')), ['plain', 'nested'].slice(0, 2 - refused));
    for (const m of received.slice(0, -1)) {
      const value = m.nested ? m.nested[0] : m;
      assert.deepEqual(Object.keys(value), []);
      assert.equal(value instanceof Generator, false);
      assert.equal(typeof value.resume, 'undefined');
    }
    assert.equal(gen.resume(), undefined);  // still fine on its own thread
  });

  it('a Yielder posted to another thread arrives as an empty object with no suspend()', async () => {
    const { MessageChannel } = require('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    let yielder;
    const gen = new Generator((y) => {
      yielder = y;
      y.suspend();
    });
    gen.resume();
    const received = new Promise((resolve) => port2.once('message', resolve));
    port1.postMessage(yielder);
    const clone = await received;
    port1.close();
    port2.close();
    assert.ok(!(clone instanceof Yielder));
    assert.equal(typeof clone.suspend, 'undefined');
    assert.throws(() => Yielder.prototype.suspend.call(clone, 1), TypeError);
    gen.return();
  });
});

describe('unsupported runtimes', () => {
  // Each derived V8 offset, made wrong by one word, must be caught by the
  // load-time verification: generators are refused with a reason naming the
  // field, OsStack keeps working, nothing crashes.
  const faults = {
    thread_manager_offset: /Isolate::thread_manager_/,
    hsi_offset: /Isolate::handle_scope_implementer_/,
    debug_thread_local_offset: /Debug::thread_local_/,
    stack_start_offset: /stack_start_/,
    in_use_anchor_offset: /ThreadManager::in_use_anchor_/,
    relocatable_offset: /Isolate::relocatable_top_/,
    missing_symbol: /V8 internals not found/,
  };
  for (const [fault, reason] of Object.entries(faults)) {
    it(`refuse generators with ERR_UNSUPPORTED_RUNTIME when verification fails (${fault}); OsStack still works`, () => {
      const result = runScript(`
        const { Generator, OsStack, supported, unsupportedReason } = require(process.env.FRINGE_ROOT);
        let code;
        try { new Generator(() => {}); } catch (e) { code = e.code + ': ' + e.message; }
        const s = new OsStack(); const size = s.size; s.release();
        console.log(JSON.stringify({ supported, unsupportedReason, code, size }));
      `, [], { env: { FRINGE_FAULT_INJECTION: fault } });
      assert.equal(result.status, 0, explain(result));
      const out = JSON.parse(result.stdout);
      assert.equal(out.supported, false);
      assert.match(out.unsupportedReason, reason);
      // ... and ends with what to do about it.
      assert.match(out.unsupportedReason, /; to fix: use an official Node\.js release .*see Troubleshooting in docs\/API\.md/);
      assert.match(out.code, /^ERR_UNSUPPORTED_RUNTIME: JavaScript generators are not supported here: /);
      assert.equal(out.size, 1024 * 1024);
    });
  }

  // jslimit_ is also V8's interrupt flag, which other threads write (a
  // worker.terminate() while the worker loaded fringe did, in the soak): the
  // stack-limit probe at load must not take that for a layout it does not
  // know, and must not lose the interrupt.
  it('stay supported when an interrupt is requested in the middle of the stack-limit probe, which still runs', () => {
    const result = runScript(`
      const { Generator, supported, unsupportedReason } = require(process.env.FRINGE_ROOT);
      console.log(JSON.stringify({ supported, unsupportedReason, value: supported && new Generator(() => 42).resume() }));
    `, [], { env: { FRINGE_FAULT_INJECTION: 'interrupt_during_stack_probe' } });
    assert.equal(result.status, 0, explain(result));
    assert.deepEqual(JSON.parse(result.stdout), { supported: true, value: 42 });
    assert.match(result.stderr, /^fringe: injected interrupt ran$/m, explain(result));
  });
});
