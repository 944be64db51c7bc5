'use strict';
// The async bridge: run(fn) and wait(value). One rule per `it`: arguments,
// results and errors, thenables, misuse codes, AsyncLocalStorage, and real
// I/O (files, HTTP on 127.0.0.1, timers) waited for from deep recursion.

const assert = require('node:assert/strict');
const { AsyncLocalStorage, AsyncResource, executionAsyncId } = require('node:async_hooks');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { Generator, OsStack, current, suspend, run, wait } = require('..');
const { runScript, describe: explain } = require('./helpers/child');
const { expectCode } = require('./helpers/errors');

/** A promise and the functions that settle it. */
function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('run()', () => {
  it('throws TypeError "Expected fn to be a function" for an fn that is not a function', () => {
    for (const bad of [undefined, null, 42, 'fn', {}, [], Promise.resolve()]) {
      assert.throws(() => run(bad), (e) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /^Expected fn to be a function, got /);
        return true;
      });
    }
  });

  it('throws TypeError for options that are not an object', () => {
    for (const bad of [null, 42, 'options', true]) {
      assert.throws(() => run(() => 1, bad), (e) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /^Expected options to be an object, got /);
        return true;
      });
    }
  });

  it('validates options.stack like Generator validates its stack (TypeError, RangeError)', () => {
    for (const bad of ['1024', {}, [], null, 10n]) {
      assert.throws(() => run(() => 1, { stack: bad }), (e) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
        assert.match(e.message, /^Expected options\.stack to be an OsStack or a number of bytes, got /);
        return true;
      });
    }
    for (const bad of [0, 4096, 1.5, -1, NaN, Infinity, 2 ** 60]) {
      assert.throws(() => run(() => 1, { stack: bad }), (e) => {
        assert.ok(e instanceof RangeError, String(e));
        assert.equal(e.code, 'ERR_OUT_OF_RANGE');
        assert.match(e.message, /^Expected options\.stack to be an integer from \d+ to \d+ \(bytes\), got /);
        return true;
      });
    }
  });

  it('runs fn on the OsStack given, or on a stack of the size given', async () => {
    const stack = new OsStack();
    let inUseInside;
    assert.equal(await run(() => {
      inUseInside = stack.inUse;
      return wait(Promise.resolve('on my stack'));
    }, { stack }), 'on my stack');
    assert.equal(inUseInside, true);
    assert.equal(stack.inUse, false);
    assert.equal(await run(() => wait(Promise.resolve(2)) * 2, { stack: 256 * 1024 }), 4);
    assert.equal(await run(() => 3, {}), 3);
  });

  it('throws ERR_STACK_IN_USE at once for an OsStack another generator runs on', () => {
    const stack = new OsStack();
    const parked = new Generator(() => suspend(), stack);
    parked.resume();
    expectCode(() => run(() => 1, { stack }), 'ERR_STACK_IN_USE');
    parked.resume();
  });

  it('runs fn at once, up to its first wait(), and returns a native promise', async () => {
    const trail = [];
    const promise = run(() => {
      trail.push('fn starts');
      wait(Promise.resolve());
      trail.push('fn resumes');
    });
    trail.push('run returned');
    assert.ok(promise instanceof Promise);
    assert.equal(Object.getPrototypeOf(promise), Promise.prototype);
    await promise;
    assert.deepEqual(trail, ['fn starts', 'run returned', 'fn resumes']);
  });

  it('calls fn with no arguments and `this` undefined', async () => {
    let args;
    let self = 'unset';
    await run(function (...a) {
      args = a;
      self = this;
    });
    assert.deepEqual(args, []);
    assert.equal(self, undefined);
  });

  it('resolves with what fn returns, and adopts a promise fn returns', async () => {
    assert.equal(await run(() => 'plain'), 'plain');
    const value = { deep: [1, 2] };
    assert.equal(await run(() => value), value);
    assert.equal(await run(() => Promise.resolve('adopted')), 'adopted');
    await assert.rejects(run(() => Promise.reject(new Error('adopted rejection'))), /adopted rejection/);
  });

  it('rejects with the very object fn throws, before or after a wait()', async () => {
    const early = new Error('early');
    const late = new TypeError('late');
    const token = { notAnError: true };
    await assert.rejects(run(() => {
      throw early;
    }), (e) => e === early);
    await assert.rejects(run(() => {
      wait(sleep(1));
      throw late;
    }), (e) => e === late);
    await assert.rejects(run(() => {
      wait(Promise.resolve());
      throw token;
    }), (e) => e === token);
    await assert.rejects(run(() => {
      throw undefined;
    }), (e) => e === undefined);
  });

  it('keeps the stack trace of an error thrown deep in fn after waits', async () => {
    function deepInTheRun(n) {
      if (n === 0) throw new Error('deep');
      wait(Promise.resolve());
      return deepInTheRun(n - 1);
    }
    await assert.rejects(run(() => deepInTheRun(5)), (e) => {
      assert.match(e.stack, /deepInTheRun/);
      return true;
    });
  });

  it('interleaves many runs on one event loop, each getting its own results', async () => {
    const RUNS = 200;
    const STEPS = 10;
    const trail = [];
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      runs.push(run(() => {
        let sum = 0;
        for (let s = 0; s < STEPS; s++) {
          // Settle in an order unrelated to the order the runs started in.
          sum += wait(sleep((r * 7 + s * 13) % 5, r * 100 + s));
          trail.push(r);
        }
        return sum;
      }));
    }
    const sums = await Promise.all(runs);
    for (let r = 0; r < RUNS; r++) assert.equal(sums[r], r * 100 * STEPS + (STEPS * (STEPS - 1)) / 2);
    assert.equal(trail.length, RUNS * STEPS);
    // Interleaved: some run made progress between two steps of another.
    const firstDone = trail.lastIndexOf(trail[0]);
    assert.ok(new Set(trail.slice(0, firstDone)).size > 1, 'the runs took turns');
  });

  it('runs inside run(): the inner one on a generator of its own, waited for or not', async () => {
    const trail = [];
    const outer = await run(() => {
      trail.push('outer starts');
      const inner = run(() => {
        trail.push('inner starts');
        const x = wait(sleep(2, 20));
        trail.push('inner resumes');
        return x + 1;
      });
      trail.push('outer goes on');
      const nested = run(() => run(() => run(() => wait(Promise.resolve(3)) * 2)));
      const fromInner = wait(inner);
      return fromInner + wait(nested);
    });
    assert.equal(outer, 27);
    assert.deepEqual(trail, ['outer starts', 'inner starts', 'outer goes on', 'inner resumes']);
  });

  it('runs inside a plain Generator, and goes on after that generator is done', async () => {
    const host = new Generator(() => {
      const promise = run(() => wait(sleep(2, 'from inside a Generator')));
      suspend('hosted');
      return promise;
    });
    assert.equal(host.resume(), 'hosted');
    const promise = host.resume();
    assert.equal(host.state, 'done');
    assert.equal(await promise, 'from inside a Generator');
  });

  it('reports current() as its own generator inside fn, which only run() can resume (ERR_OWNED_BY_RUN)', async () => {
    let generator;
    const gate = deferred();
    const promise = run(() => {
      generator = current();
      return wait(gate.promise);
    });
    assert.ok(generator instanceof Generator);
    assert.equal(generator.state, 'suspended');
    for (const resumeIt of [() => generator.resume(1), () => generator.next(1), () => generator.throw(new Error('x')),
      () => generator.return(1), () => generator[Symbol.dispose]()]) {
      expectCode(resumeIt, 'ERR_OWNED_BY_RUN', /^Cannot resume a generator started by run\(\)/);
    }
    // Nor does it have any other method that would drive it.
    const own = [];
    for (let p = Object.getPrototypeOf(generator); p !== Generator.prototype; p = Object.getPrototypeOf(p)) {
      own.push(...Object.getOwnPropertyNames(p).filter((name) => name !== 'constructor'));
    }
    assert.deepEqual(own.sort(), ['next', 'resume', 'return', 'throw'].sort());
    gate.resolve('still fine');
    assert.equal(await promise, 'still fine');
    assert.equal(generator.state, 'done');
  });

  it('makes a bare suspend() in fn throw ERR_SUSPEND_IN_RUN, which fn can catch and go on', async () => {
    const result = await run(() => {
      let caught;
      try {
        suspend('not through wait');
      } catch (e) {
        caught = e;
      }
      assert.equal(caught.code, 'ERR_SUSPEND_IN_RUN');
      assert.match(caught.message, /^suspend\(\) called in a generator started by run\(\)/);
      return wait(sleep(1, 'went on'));
    });
    assert.equal(result, 'went on');
    await assert.rejects(run(() => suspend()), { code: 'ERR_SUSPEND_IN_RUN' });
  });
});

describe('wait()', () => {
  it('returns the value of a promise, suspending even when it is already fulfilled (like await)', async () => {
    const trail = [];
    const result = await run(() => {
      const fulfilled = Promise.resolve('value');
      queueMicrotask(() => trail.push('microtask queued before the wait'));
      const value = wait(fulfilled);
      trail.push('wait returned');
      return value;
    });
    assert.equal(result, 'value');
    assert.deepEqual(trail, ['microtask queued before the wait', 'wait returned']);
  });

  it('resumes in the same microtask turn as an await of the same value would', async () => {
    const trail = [];
    const promise = Promise.resolve();
    const thenable = { then: (resolve) => resolve() };
    const awaiter = async (name) => {
      await promise;
      trail.push(`${name} 1`);
      await thenable;
      trail.push(`${name} 2`);
      await promise;
      trail.push(`${name} 3`);
    };
    const a = awaiter('await a');
    const w = run(() => {
      wait(promise);
      trail.push('wait 1');
      wait(thenable);
      trail.push('wait 2');
      wait(promise);
      trail.push('wait 3');
    });
    const b = awaiter('await b');
    await Promise.all([a, w, b]);
    assert.deepEqual(trail, [
      'await a 1', 'wait 1', 'await b 1',
      'await a 2', 'wait 2', 'await b 2',
      'await a 3', 'wait 3', 'await b 3',
    ]);
  });

  it('throws the very reason a promise rejects with, which fn can catch and go on', async () => {
    const reason = new Error('rejected');
    const token = Symbol('reason');
    const result = await run(() => {
      const seen = [];
      for (const r of [reason, token, undefined, 0]) {
        try {
          wait(Promise.reject(r));
          seen.push('no throw');
        } catch (e) {
          seen.push(e);
        }
      }
      const later = deferred();
      setTimeout(() => later.reject(reason), 1);
      try {
        wait(later.promise);
      } catch (e) {
        seen.push(e);
      }
      seen.push(wait(Promise.resolve('after')));
      return seen;
    });
    assert.deepEqual(result, [reason, token, undefined, 0, reason, 'after']);
    assert.equal(result[0], reason);
    assert.equal(result[4], reason);
  });

  it('returns a value that is not a thenable as is, without suspending', async () => {
    const fn = () => 1;
    const plain = { a: 1 };
    const notCallable = { then: 42 };
    const values = [1, 'text', null, undefined, true, 10n, Symbol.iterator, plain, notCallable, fn, [1]];
    await run(() => {
      let microtaskRan = false;
      queueMicrotask(() => (microtaskRan = true));
      for (const v of values) assert.equal(wait(v), v);
      // A suspension would have let the microtask run.
      assert.equal(microtaskRan, false);
    });
  });

  it('calls a thenable\'s then() once, in a microtask, and counts only its first settlement', async () => {
    let calls = 0;
    let thenArgs;
    let readsOfThen = 0;
    const thenable = {
      get then() {
        readsOfThen++;
        return (onFulfilled, onRejected) => {
          calls++;
          thenArgs = [typeof onFulfilled, typeof onRejected];
          onFulfilled('first');
          onFulfilled('second');
          onRejected(new Error('too late'));
          throw new Error('ignored after settling');
        };
      },
    };
    const promise = run(() => {
      const value = wait(thenable);
      assert.equal(calls, 1);
      return value;
    });
    // run() returned at the wait(): then() had not been called yet.
    assert.equal(calls, 0);
    assert.equal(await promise, 'first');
    assert.equal(calls, 1);
    assert.equal(readsOfThen, 1);
    assert.deepEqual(thenArgs, ['function', 'function']);
  });

  it('settles through a thenable\'s later call, its rejection, or a promise it resolves with', async () => {
    const results = await run(() => {
      const later = wait({ then: (resolve) => setTimeout(() => resolve('later'), 2) });
      let rejection;
      try {
        wait({ then: (_, reject) => reject('no') });
      } catch (e) {
        rejection = e;
      }
      const chained = wait({ then: (resolve) => resolve(sleep(1, 'chained')) });
      return [later, rejection, chained];
    });
    assert.deepEqual(results, ['later', 'no', 'chained']);
  });

  it('throws what a throwing then() or a throwing `then` getter throws', async () => {
    const fromThen = new Error('then threw');
    const fromGetter = new Error('getter threw');
    const seen = await run(() => {
      const caught = [];
      try {
        wait({
          then() {
            throw fromThen;
          },
        });
      } catch (e) {
        caught.push(e);
      }
      try {
        wait({
          get then() {
            throw fromGetter;
          },
        });
      } catch (e) {
        caught.push(e);
      }
      return caught;
    });
    assert.equal(seen[0], fromThen);
    assert.equal(seen[1], fromGetter);
  });

  it('waits for promises of subclasses, and throws TypeError for an object that only inherits then()', async () => {
    class Deferred extends Promise {}
    const [sub, fake] = await run(() => {
      const a = wait(Deferred.resolve('subclass'));
      let e;
      try {
        wait(Object.create(Promise.prototype));
      } catch (error) {
        e = error;
      }
      return [a, e];
    });
    assert.equal(sub, 'subclass');
    assert.ok(fake instanceof TypeError, String(fake));
  });

  it('waits from deep recursion', async () => {
    function down(n) {
      if (n === 0) return wait(Promise.resolve(0));
      return down(n - 1) + wait(n % 100 === 0 ? sleep(0, 1) : 1);
    }
    assert.equal(await run(() => down(2000)), 2000);
  });

  it('throws ERR_NOT_IN_GENERATOR outside run(), for thenables and other values alike', () => {
    expectCode(() => wait(Promise.resolve()), 'ERR_NOT_IN_GENERATOR', /^wait\(\) called outside of run\(\)\. [A-Z][^\n]*[^.]$/);
    expectCode(() => wait(42), 'ERR_NOT_IN_GENERATOR', /^wait\(\) called outside of run\(\)\. [A-Z][^\n]*[^.]$/);
  });

  it('throws ERR_NOT_IN_GENERATOR inside a Generator that run() did not start, saying so', () => {
    const gen = new Generator(() => {
      expectCode(() => wait(1), 'ERR_NOT_IN_GENERATOR', /inside a Generator that run\(\) did not start/);
      return 'checked';
    });
    assert.equal(gen.resume(), 'checked');
  });

  it('throws ERR_NOT_IN_GENERATOR inside a Generator created within fn, and the run goes on', async () => {
    const result = await run(() => {
      const inner = new Generator(() => {
        let caught;
        try {
          wait(Promise.resolve('not for me'));
        } catch (e) {
          caught = e;
        }
        suspend('inner suspended');
        return caught;
      });
      assert.equal(inner.resume(), 'inner suspended');
      wait(sleep(1));
      const caught = inner.resume();
      assert.equal(caught.code, 'ERR_NOT_IN_GENERATOR');
      assert.match(caught.message, /inside a Generator that run\(\) did not start/);
      return wait(Promise.resolve('run went on'));
    });
    assert.equal(result, 'run went on');
  });

  it('throws ERR_NOT_IN_GENERATOR in an async callback fn started (it runs outside the generator)', async () => {
    let fromCallback;
    await run(() => {
      const done = (async () => {
        await null;
        try {
          wait(1);
        } catch (e) {
          fromCallback = e;
        }
      })();
      wait(done);
    });
    assert.equal(fromCallback.code, 'ERR_NOT_IN_GENERATOR');
  });

  it('(child process) throws ERR_ASYNC_SCOPE inside an async scope entered within fn, instead of letting Node abort', () => {
    // Suspending there would leave the scope on Node's async context stack:
    // Node exits with "async hook stack has become corrupted".
    const result = runScript(`
      const assert = require('node:assert/strict');
      const { AsyncLocalStorage, AsyncResource } = require('node:async_hooks');
      const { run, wait } = require(process.env.FRINGE_ROOT);
      const als = new AsyncLocalStorage();
      const codes = [];
      als.run('caller', () => run(() => {
        try {
          new AsyncResource('Nested').runInAsyncScope(() => wait(new Promise((r) => setTimeout(r, 5))));
        } catch (e) {
          codes.push(e.code + ': ' + e.message);
        }
        try {
          AsyncResource.bind(() => wait(1))();
        } catch (e) {
          codes.push(e.code);
        }
        // The run goes on, in its own scope.
        return wait(new Promise((r) => setTimeout(() => r(als.getStore()), 5)));
      })).then((store) => console.log(JSON.stringify({ codes, store })), (e) => console.log('rejected', e));
    `);
    assert.equal(result.status, 0, explain(result));
    const { codes, store } = JSON.parse(result.stdout);
    assert.match(codes[0], /^ERR_ASYNC_SCOPE: wait\(\) called inside an async scope entered within run\(\)/);
    assert.equal(codes[1], 'ERR_ASYNC_SCOPE');
    assert.equal(store, 'caller');
  });
});

describe('run() and AsyncLocalStorage', () => {
  const als = new AsyncLocalStorage();

  it('shows fn, after each wait(), the store active when run() was called, whoever settled the promise', async () => {
    const seen = [];
    const gate = deferred();
    const promise = als.run('caller', () => run(() => {
      seen.push(als.getStore());
      seen.push(wait(gate.promise), als.getStore());
      // Settled from a timer started in another store.
      const other = als.run('other', () => sleep(1, 'timer'));
      seen.push(wait(other), als.getStore());
      return seen;
    }));
    als.run('settler', () => setTimeout(() => gate.resolve('gate'), 1));
    assert.deepEqual(await promise, ['caller', 'gate', 'caller', 'timer', 'caller']);
  });

  it('keeps each of many interleaved runs in the store of its own run() call', async () => {
    const runs = [];
    for (let i = 0; i < 50; i++) {
      runs.push(als.run(`store ${i}`, () => run(() => {
        const seen = new Set();
        for (let s = 0; s < 5; s++) {
          wait(sleep((i + s) % 3));
          seen.add(als.getStore());
        }
        return [...seen];
      })));
    }
    const results = await Promise.all(runs);
    results.forEach((seen, i) => assert.deepEqual(seen, [`store ${i}`]));
  });

  it('keeps a store fn enters with enterWith() for the rest of fn, across waits, and not for run()\'s caller', async () => {
    const seen = [];
    await als.run('caller', async () => {
      const promise = run(() => {
        als.enterWith('entered in fn');
        seen.push(als.getStore());
        wait(sleep(1));
        seen.push(als.getStore());
        wait(Promise.resolve());
        seen.push(als.getStore());
      });
      // run() returned at fn's first wait: the caller's store is untouched.
      seen.push(`caller: ${als.getStore()}`);
      await promise;
      seen.push(`caller: ${als.getStore()}`);
    });
    assert.deepEqual(seen, ['entered in fn', 'caller: caller', 'entered in fn', 'entered in fn', 'caller: caller']);
  });

  it('keeps a store of als.run() inside fn across waits inside its callback, and restores the run\'s store after', async () => {
    const seen = await als.run('caller', () => run(() => {
      const trail = [];
      als.run('inner', () => {
        wait(sleep(1));
        trail.push(als.getStore());
        wait(Promise.resolve());
        trail.push(als.getStore());
      });
      trail.push(als.getStore());
      wait(sleep(1));
      trail.push(als.getStore());
      return trail;
    }));
    assert.deepEqual(seen, ['inner', 'inner', 'caller', 'caller']);
  });

  it('gives a run started inside fn the store active at its own run() call', async () => {
    const seen = await als.run('outer', () => run(() => {
      const inner = als.run('for inner', () => run(() => {
        wait(sleep(1));
        return als.getStore();
      }));
      return [wait(inner), als.getStore()];
    }));
    assert.deepEqual(seen, ['for inner', 'outer']);
  });

  it('runs every resume of fn in one async resource (one executionAsyncId)', async () => {
    const ids = await run(() => {
      const seen = new Set([executionAsyncId()]);
      for (let i = 0; i < 3; i++) {
        wait(i % 2 ? sleep(1) : Promise.resolve());
        seen.add(executionAsyncId());
      }
      return [...seen];
    });
    assert.equal(ids.length, 1);
    assert.notEqual(ids[0], executionAsyncId());
  });
});

describe('run() with real I/O', () => {
  let root;
  let expected; // relative path -> size, read synchronously
  let server;
  let base;
  const requests = [];

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-async-'));
    expected = new Map();
    // A tree four directories deep, two directories and three files wide.
    const make = (dir, depth) => {
      for (let f = 0; f < 3; f++) {
        const file = path.join(dir, `file${f}.txt`);
        const text = `${path.relative(root, file)}\n`.repeat(depth + f + 1);
        fs.writeFileSync(file, text);
        expected.set(path.relative(root, file), Buffer.byteLength(text));
      }
      if (depth === 4) return;
      for (let d = 0; d < 2; d++) {
        const sub = path.join(dir, `dir${d}`);
        fs.mkdirSync(sub);
        make(sub, depth + 1);
      }
    };
    make(root, 0);

    // Pages that link to pages: /n links to /2n+1 and /2n+2 below 31.
    server = http.createServer((req, res) => {
      requests.push(req.url);
      const n = Number(req.url.slice(1));
      const links = [2 * n + 1, 2 * n + 2].filter((m) => m < 31).map((m) => `/${m}`);
      // Answer after a short delay so that requests overlap.
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ page: n, links }));
      }, n % 3);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });

  after(async () => {
    fs.rmSync(root, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  // Written as synchronous code: every wait() is several frames deep.
  function walk(dir, sizes) {
    for (const entry of wait(fs.promises.readdir(dir, { withFileTypes: true }))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, sizes);
      else sizes.set(path.relative(root, full), sizeOf(full));
    }
    return sizes;
  }
  function sizeOf(file) {
    const text = wait(fs.promises.readFile(file, 'utf8'));
    return Buffer.byteLength(text);
  }

  function get(url) {
    return new Promise((resolve, reject) => {
      http.get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject);
    });
  }
  function crawl(pathname, seen) {
    const { status, body } = wait(get(base + pathname));
    assert.equal(status, 200);
    const page = JSON.parse(body);
    seen.push(page.page);
    for (const link of page.links) crawl(link, seen);
    return seen;
  }

  it('walks a directory tree with fs.promises from recursive synchronous code', async () => {
    const sizes = await run(() => walk(root, new Map()));
    assert.equal(sizes.size, expected.size);
    assert.deepEqual(new Map([...sizes].sort()), new Map([...expected].sort()));
  });

  it('crawls pages over HTTP from recursive synchronous code, depth first', async () => {
    requests.length = 0;
    const order = await run(() => crawl('/0', []));
    // Depth-first preorder of the binary tree of 31 pages.
    const preorder = [];
    const visit = (n) => {
      if (n >= 31) return;
      preorder.push(n);
      visit(2 * n + 1);
      visit(2 * n + 2);
    };
    visit(0);
    assert.deepEqual(order, preorder);
    assert.equal(requests.length, 31);
  });

  it('sleeps on timers from recursive synchronous code, for at least the time asked', async () => {
    function countdown(n, trail) {
      if (n === 0) return trail;
      wait(sleep(5));
      trail.push(n);
      return countdown(n - 1, trail);
    }
    const started = process.hrtime.bigint();
    const trail = await run(() => countdown(6, []));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual(trail, [6, 5, 4, 3, 2, 1]);
    assert.ok(elapsedMs >= 6 * 5 - 1, `${elapsedMs} ms`);
  });

  it('does files, HTTP and timers in concurrent runs, each one correct', async () => {
    const walks = [];
    const crawls = [];
    const timers = [];
    const trail = [];
    for (let i = 0; i < 4; i++) {
      walks.push(run(() => {
        const sizes = walk(root, new Map());
        trail.push('walk');
        return sizes;
      }));
      crawls.push(run(() => {
        const seen = crawl('/0', []);
        trail.push('crawl');
        return seen;
      }));
      timers.push(run(() => {
        const woke = [];
        for (let t = 0; t < 5; t++) woke.push(wait(sleep(t, t)));
        trail.push('timer');
        return woke;
      }));
    }
    for (const sizes of await Promise.all(walks)) assert.equal(sizes.size, expected.size);
    for (const seen of await Promise.all(crawls)) assert.equal(seen.length, 31);
    for (const woke of await Promise.all(timers)) assert.deepEqual(woke, [0, 1, 2, 3, 4]);
    assert.equal(trail.length, 12);
  });
});
