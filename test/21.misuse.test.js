'use strict';
// Hostile and out-of-range arguments, as the fuzzer (test/61.fuzz.test.js)
// found them: each still gets the documented error class and code, with a
// message that names the argument.

const assert = require('node:assert/strict');
const { Generator, OsStack, suspend } = require('..');
const { runScript, describe: explain } = require('./helpers/child');

function expectArgError(fn, Class, code, argument) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Class, `expected a ${Class.name}, got ${e?.constructor?.name}: ${e?.message ?? e}`);
    assert.equal(e.code, code);
    assert.match(e.message, new RegExp(`^Expected ${argument} to be `));
    return true;
  });
}

// Values whose inspection throws: describing them in the message must not.
function hostileValues() {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const trap = () => {
    throw new Error('trap ran');
  };
  return {
    'a revoked Proxy': revoked.proxy,
    'a Proxy whose traps throw': new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap }),
    'an object whose constructor getter throws': Object.defineProperty({}, 'constructor', { get: trap }),
  };
}

describe('arguments whose inspection throws (fuzz seed 4: revoked Proxy as a body)', () => {
  for (const [name, value] of Object.entries(hostileValues())) {
    it(`${name} as a body, a stack, a stack size or a pool size: TypeError ERR_INVALID_ARG_TYPE`, () => {
      expectArgError(() => new Generator(value), TypeError, 'ERR_INVALID_ARG_TYPE', 'body');
      expectArgError(() => new Generator(() => {}, value), TypeError, 'ERR_INVALID_ARG_TYPE', 'stack');
      expectArgError(() => new OsStack(value), TypeError, 'ERR_INVALID_ARG_TYPE', 'size');
      expectArgError(() => (Generator.poolSize = value), TypeError, 'ERR_INVALID_ARG_TYPE', 'poolSize');
    });
  }
});

describe('an object that only inherits from OsStack.prototype', () => {
  it('is not taken for an OsStack: TypeError ERR_INVALID_ARG_TYPE naming `stack`', () => {
    const fake = Object.create(OsStack.prototype);
    expectArgError(() => new Generator(() => {}, fake), TypeError, 'ERR_INVALID_ARG_TYPE', 'stack');
    // A real one still works, and so does a subclass instance.
    class MyStack extends OsStack {}
    assert.equal(new Generator(() => 'sub', new MyStack()).resume(), 'sub');
  });
});

describe('hostile values thrown through a generator (fuzz seeds 1, 2: Proxy passed to throw())', () => {
  it('throw() of a revoked Proxy that the body lets out rethrows that Proxy, not a TypeError', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const g = new Generator(() => suspend());
    g.resume();
    assert.throws(() => g.throw(proxy), (e) => e === proxy);
    assert.equal(g.state, 'done');
  });

  it('a body that throws a Proxy with throwing traps: resume() throws that Proxy; no trap runs', () => {
    let trapped = 0;
    const trap = () => {
      trapped++;
      throw new Error('trap ran');
    };
    const proxy = new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap });
    assert.throws(() => new Generator(() => {
      throw proxy;
    }).resume(), (e) => e === proxy);
    const g = new Generator(() => suspend());
    g.resume();
    assert.deepEqual(g.return(proxy), { value: proxy, done: true });
    assert.equal(trapped, 0);
  });

  it('a collected generator whose cleanup throws a revoked Proxy gives a FringeWarning; nothing leaks into the call that reaps', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      process.on('warning', (w) => console.log('warning', w.code));
      (function spawn() {
        new Generator(() => { try { suspend(); } finally { throw proxy; } }).resume();
      })();
      gc();
      let reaped;
      try { reaped = new Generator(() => 'ok').resume(); } catch (e) { reaped = 'leaked: ' + e; }
      console.log(reaped);
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout, 'ok\nwarning FRINGE_UNWIND_ERROR\n');
  });
});

describe('yielders in a collected generator being unwound', () => {
  it('another generator\'s yielder is ERR_WRONG_GENERATOR there too (it used to suspend the collected one)', () => {
    const result = runScript(`
      const { Generator } = require(process.env.FRINGE_ROOT);
      let other;
      const keeper = new Generator((y) => { other = y; y.suspend(); });
      keeper.resume();
      const seen = [];
      (function spawn() {
        new Generator((own) => {
          try { own.suspend(); } finally {
            try { other.suspend('wrong'); seen.push('suspended'); } catch (e) { seen.push(e.code ?? e.constructor.name); }
            try { own.suspend('cleanup'); seen.push('own yielder suspends'); } catch (e) { seen.push(e.constructor.name); }
          }
        }).resume();
      })();
      gc();
      new Generator(() => {}).resume();  // a safe point: unwinds it
      console.log(JSON.stringify(seen));
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    // Its own yielder still works: the reaper resumes it again (return()).
    assert.deepEqual(JSON.parse(result.stdout), ['ERR_WRONG_GENERATOR', 'GeneratorReturn']);
  });
});

describe('Generator.poolSize out of range (fuzz seed 2)', () => {
  it('is a RangeError with code ERR_OUT_OF_RANGE, like every other bad size', () => {
    const before = Generator.poolSize;
    for (const bad of [-1, 1.5, NaN, Infinity, 65537, 2 ** 47]) {
      expectArgError(() => (Generator.poolSize = bad), RangeError, 'ERR_OUT_OF_RANGE', 'poolSize');
    }
    assert.equal(Generator.poolSize, before);
  });

  it('-0 is 0 (fuzz seed 5: native code took -0 for a negative number)', () => {
    const before = Generator.poolSize;
    Generator.poolSize = -0;
    assert.ok(Object.is(Generator.poolSize, 0));
    Generator.poolSize = before;
  });
});
