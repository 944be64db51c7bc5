'use strict';
// The JS<->C++ contract (native/addon/contract.json): lib and the addon are
// compiled from one source, refuse each other when they are not, and say
// the same thing for the same mistake, whichever of them sees it.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Generator, OsStack, MINIMUM_STACK_SIZE, suspend } = require('..');
const { binding } = require('../dist/binding');
const { CONTRACT } = require('../dist/contract');
const { stackHandle } = require('../dist/stack');
const { root, runScript, describe: explain } = require('./helpers/child');

describe('the JS<->C++ contract', () => {
  it('lib/contract.ts and native/addon/contract.h are what contract.json generates', () => {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'contract.js'), '--check'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });

  it('every error message ends with what to do next: its `next` in contract.json', () => {
    const source = JSON.parse(fs.readFileSync(path.join(root, 'native', 'addon', 'contract.json'), 'utf8'));
    const ids = Object.keys(source.errors);
    assert.deepEqual(Object.keys(CONTRACT.errors), ids);
    const without = ids.filter((id) => {
      const { next } = source.errors[id];
      return typeof next !== 'string' || !/^[A-Z]/.test(next) || !CONTRACT.errors[id].message.endsWith(`. ${next}`);
    });
    assert.deepEqual(without, [], 'errors whose message does not end with a next step');
  });

  it('the addon exports the contract lib was compiled with: enums, limits, expected phrases, errors', () => {
    assert.deepStrictEqual(binding.contract, CONTRACT);
  });

  it('the numbers mean the same on both sides: status[Outcome] after a suspend, a return and a throw', () => {
    const { Yielded, Returned, Threw } = CONTRACT.enums.Outcome;
    const slot = CONTRACT.enums.StatusSlot.Outcome;
    const { Next, Throw } = CONTRACT.enums.ResumeMode;
    const g = new Generator(() => {
      try {
        suspend('first');
      } catch (e) {
        return suspend(`caught ${e}`);
      }
    });
    // Resumed through the private binding with the contract's modes, so that
    // lib's own constants are not what makes this pass.
    const resume = (mode, value) => g[binding.kResume](mode, value, undefined);
    assert.equal(g.resume(), 'first');
    assert.equal(binding.status[slot], Yielded);
    assert.equal(resume(Throw, 'boom'), 'caught boom');
    assert.equal(binding.status[slot], Yielded);
    assert.equal(resume(Next, 'done'), 'done');
    assert.equal(binding.status[slot], Returned);
    assert.throws(() => new Generator(() => {
      throw new Error('thrown');
    }).resume(), /thrown/);
    assert.equal(binding.status[slot], Threw);
  });

  it('stackInfo(), stats() and a generator\'s stack usage are records with named fields', () => {
    const stack = new OsStack();
    const info = binding.stackInfo(stackHandle(stack));
    assert.deepStrictEqual(Object.keys(info), ['size', 'base', 'limit', 'inUse', 'released']);
    assert.deepStrictEqual([info.size, info.base, info.limit, info.inUse, info.released], [stack.size, stack.base, stack.limit, false, false]);
    assert.equal(info.base - info.limit, BigInt(info.size));
    const stats = binding.stats();
    assert.deepStrictEqual(Object.keys(stats), ['liveGenerators', 'pooledStacks', 'poolLimit', 'settledStates', 'filteredScavenges', 'skippedStates', 'stackMappings', 'pageReleaseCalls', 'pageReleaseSlots', 'trimmedStacks']);
    assert.equal(stats.poolLimit, Generator.poolSize);
    const g = new Generator(() => suspend(), stack);
    g.resume();
    const usage = g[binding.kStackUsage]();
    assert.deepStrictEqual(Object.keys(usage), ['used', 'belowLimit']);
    assert.ok(usage.used > 0 && usage.used <= stack.size, `used ${usage.used}`);
    assert.equal(binding.stats().liveGenerators, stats.liveGenerators + 1);
    g.return();
  });

  it('lib refuses at load an addon compiled with another contract, naming both digests', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-contract-'));
    try {
      // The real addon, with one resume mode numbered differently: what a
      // stale build would export.
      const shim = path.join(dir, 'stale-addon.js');
      const addon = process.env.FRINGE_ADDON_PATH || path.join(root, 'build', 'Release', 'fringe.node');
      fs.writeFileSync(shim, `
        const addon = require(${JSON.stringify(path.resolve(addon))});
        addon.contract = JSON.parse(JSON.stringify(addon.contract));
        addon.contract.enums.ResumeMode.Throw = 5;
        addon.contract.digest = 'stale';
        module.exports = addon;
      `);
      const result = runScript(`
        try { require(process.env.FRINGE_ROOT); console.log('loaded'); }
        catch (e) { console.log(e.message); }
      `, [], { env: { FRINGE_ADDON_PATH: shim } });
      assert.equal(result.status, 0, explain(result));
      assert.match(result.stdout, /built from another JS<->C\+\+ contract than this lib \(addon stale, lib [0-9a-f]{16}\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Each mistake made once through lib and once straight at the addon: the
// same class, code and message.
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return { class: e?.constructor?.name, code: e?.code, message: e?.message };
  }
  assert.fail('expected a throw');
}

function sameError(viaLib, viaAddon, what) {
  const a = thrown(viaLib);
  const b = thrown(viaAddon);
  assert.deepStrictEqual(b, a, `${what}: the addon's error differs from lib's`);
  return a;
}

function hostileValues() {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const trap = () => {
    throw new Error('trap ran');
  };
  return [revoked.proxy, new Proxy({}, { get: trap, getPrototypeOf: trap }), Object.defineProperty({}, 'constructor', { get: trap })];
}

const notNumbers = () => ['1mb', 'a string longer than twenty characters', null, true, {}, [], 10n, Symbol('s'), () => {}, new Date(0), ...hostileValues()];
const badSizes = () => [0, 1, -1, 1.5, NaN, Infinity, -Infinity, MINIMUM_STACK_SIZE - 1, MINIMUM_STACK_SIZE + 0.5, 2 ** 47 + 1, 2 ** 53];

describe('one wording for errors, whether lib or the addon detects the mistake', () => {
  it('an OsStack size that is not a number: TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const value of notNumbers()) {
      const e = sameError(() => new OsStack(value), () => binding.createStack(value), `new OsStack(${typeof value})`);
      assert.equal(e.class, 'TypeError');
      assert.equal(e.code, 'ERR_INVALID_ARG_TYPE');
      assert.match(e.message, /^Expected size to be a number of bytes, got /);
    }
  });

  it('an OsStack size out of range: RangeError ERR_OUT_OF_RANGE', () => {
    for (const value of badSizes()) {
      const e = sameError(() => new OsStack(value), () => binding.createStack(value), `new OsStack(${value})`);
      assert.equal(e.class, 'RangeError');
      assert.equal(e.code, 'ERR_OUT_OF_RANGE');
      assert.match(e.message, /^Expected size to be an integer from \d+ to \d+ \(bytes\), got /);
    }
  });

  it('a generator stack that is neither an OsStack nor a number: TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const value of notNumbers()) {
      const e = sameError(() => new Generator(() => {}, value), () => new binding.Coroutine(undefined, value, 1), `stack ${typeof value}`);
      assert.equal(e.class, 'TypeError');
      assert.match(e.message, /^Expected stack to be an OsStack or a number of bytes, got /);
      // A handle that is no stack handle reads the same.
      if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
        sameError(() => new Generator(() => {}, value), () => new binding.Coroutine(value, 0, 1), 'stack handle');
      }
    }
  });

  it('a generator stack size out of range: RangeError ERR_OUT_OF_RANGE', () => {
    for (const value of [...badSizes(), -0]) {
      const e = sameError(() => new Generator(() => {}, value), () => new binding.Coroutine(undefined, value, 1), `stack ${value}`);
      assert.equal(e.class, 'RangeError');
      assert.match(e.message, /^Expected stack to be an integer from \d+ to \d+ \(bytes\), got /);
    }
  });

  it('a released OsStack: ERR_STACK_RELEASED', () => {
    const stack = new OsStack();
    stack.release();
    const e = sameError(() => new Generator(() => {}, stack), () => new binding.Coroutine(stackHandle(stack), 0, 1), 'released');
    assert.equal(e.code, 'ERR_STACK_RELEASED');
  });

  it('an OsStack an unfinished generator runs on: ERR_STACK_IN_USE', () => {
    const stack = new OsStack();
    const owner = new Generator(() => suspend(), stack);
    owner.resume();
    const e = sameError(() => new Generator(() => {}, stack), () => new binding.Coroutine(stackHandle(stack), 0, 1), 'in use');
    assert.equal(e.code, 'ERR_STACK_IN_USE');
    owner.return();
  });

  it('resuming a finished generator: ERR_GENERATOR_DONE', () => {
    const g = new Generator(() => 'done');
    g.resume();
    const e = sameError(() => g.resume(), () => g[binding.kResume](CONTRACT.enums.ResumeMode.Next, undefined, undefined), 'done');
    assert.equal(e.code, 'ERR_GENERATOR_DONE');
  });

  it('resuming a running generator: ERR_GENERATOR_RUNNING', () => {
    let e;
    const g = new Generator(() => {
      e = sameError(() => g.resume(), () => g[binding.kResume](CONTRACT.enums.ResumeMode.Next, undefined, undefined), 'running');
    });
    g.resume();
    assert.equal(e.code, 'ERR_GENERATOR_RUNNING');
  });

  it('a pool size that is not a number, or out of range: TypeError, RangeError', () => {
    const before = Generator.poolSize;
    for (const value of [...notNumbers(), -1, 1.5, NaN, Infinity, 65537, 2 ** 47]) {
      const e = sameError(() => (Generator.poolSize = value), () => binding.setPoolSize(value), `poolSize ${String(typeof value)}`);
      assert.equal(e.class, typeof value === 'number' ? 'RangeError' : 'TypeError');
      assert.match(e.message, /^Expected poolSize to be /);
    }
    assert.equal(Generator.poolSize, before);
  });
});
