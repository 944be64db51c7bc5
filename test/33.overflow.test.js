'use strict';
// JavaScript stack overflow inside generators.

const assert = require('node:assert/strict');
const { Generator, suspend } = require('..');

describe('JS stack overflow inside a generator', () => {
  it('is a catchable RangeError, twice, and the generator and process stay usable', () => {
    function recurse() {
      return recurse() + 1;
    }
    const gen = new Generator((y) => {
      const seen = [];
      for (let round = 0; round < 2; round++) {
        try {
          recurse();
        } catch (e) {
          seen.push(e instanceof RangeError && /Maximum call stack size exceeded/.test(e.message));
        }
        seen.push(y.suspend(round));
      }
      return seen;
    });
    assert.equal(gen.resume(), 0);
    assert.equal(gen.resume('a'), 1);
    assert.deepEqual(gen.resume('b'), [true, 'a', true, 'b']);
    // The same stack (from the pool) runs another generator normally.
    assert.equal(new Generator(() => suspend(1) + 1).resume(), 1);
  });

  it('propagates out of resume() as a RangeError when the body does not catch it', () => {
    const gen = new Generator(function deep() {
      return deep() + 1;
    });
    assert.throws(() => gen.resume(), RangeError);
    assert.equal(gen.state, 'done');
  });

  it('leaves room for a stack-hungry RegExp near the limit: it returns correct results', () => {
    // Compiled (and tiered up) before going deep: V8 itself aborts the process
    // ("RegExpCompiler Allocation failed") when a regexp is compiled within a
    // few KiB of the stack limit, on Node's own main thread as well.
    const subject = 'ab'.repeat(5000) + 'c';
    const patterns = [/(a|b|c|d|e|f|g|h)+c$/, /^(?:(?:a|b)*?)*c/, new RegExp('(' + 'x|'.repeat(2000) + 'y)+z')];
    const run = () => [patterns[0].test(subject), patterns[1].exec(subject) !== null, patterns[2].test('xyz')];
    for (let i = 0; i < 20; i++) run();
    const gen = new Generator(() => {
      let deepest = 0;
      let firstSuccess = -1;
      let results;
      function probe(n) {
        deepest = n;
        try {
          probe(n + 1);
        } catch (e) {
          if (firstSuccess >= 0) throw e;
          try {
            results = run();
            firstSuccess = n;
          } catch (inner) {
            // No room for the regexp here: try one frame up.
            if (!(inner instanceof RangeError)) throw inner;
          }
          throw e;
        }
      }
      try {
        probe(0);
      } catch {}
      return { deepest, firstSuccess, results };
    });
    const { deepest, firstSuccess, results } = gen.resume();
    assert.deepEqual(results, [true, true, true]);
    assert.ok(deepest > 1000, `only ${deepest} frames fit`);
    assert.ok(deepest - firstSuccess < 100, `the regexps first ran ${deepest - firstSuccess} frames above the limit`);
  });
});

describe("native code below a generator's JS stack limit", () => {
  it('stays far inside the 64 KiB kept for it: GC, JSON, regexps and API calls at the limit use a few KiB', () => {
    // At the deepest frame that still runs, JavaScript calls into native code
    // that does not check the JS limit the same way; the stack's high-water
    // mark (generator[kStackUsage]()) shows how far below the limit it went.
    const { binding } = require('../dist/binding.js');
    const data = { list: Array.from({ length: 200 }, (_, i) => ({ i, s: `v${i}` })) };
    const pattern = /(a|b)+c$/;
    const native = () => {
      if (typeof gc === 'function') gc();
      JSON.parse(JSON.stringify(data));
      pattern.test('ab'.repeat(200) + 'c');
      new Generator(() => 1).resume();
      return Object.keys(process.memoryUsage()).length;
    };
    for (let i = 0; i < 20; i++) native();
    const gen = new Generator(() => {
      function probe() {
        try {
          probe();
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
          try {
            native();
          } catch (inner) {
            if (!(inner instanceof RangeError)) throw inner;
          }
        }
      }
      probe();
      return suspend('deep');
    });
    assert.equal(gen.resume(), 'deep');
    const [used, below] = gen[binding.kStackUsage]();
    assert.ok(used > 512 * 1024, `the recursion reached the limit (${used} bytes used)`);
    assert.ok(below < 16 * 1024, `${below} bytes used below the JS limit`);
    gen.return();
  });
});
