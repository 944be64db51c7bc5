'use strict';
// JavaScript stack overflow inside generators.

const assert = require('node:assert/strict');
const { Generator, suspend } = require('..');
const { runScript, describe: explain } = require('./helpers/child');

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
    // Each operation runs in a generator of its own, on a fresh OsStack (its
    // untouched pages read as zeros, so the high-water mark,
    // generator[kStackUsage](), is that run's), from the deepest frame that
    // lets it run: the body recurses until V8 throws RangeError, then tries
    // the operation on the way back up, one frame at a time. Each reports how
    // many frames above the deepest one it ran, and what it returned; a
    // v8.GCProfiler lists the collections during each run (the full one of
    // gc() must be there, and only there; the recursion itself allocates
    // enough for scavenges). A child process: gc() needs --expose-gc.
    const result = runScript(`
      const { Generator, OsStack } = require(process.env.FRINGE_ROOT);
      const { binding } = require(process.env.FRINGE_ROOT + '/dist/binding.js');
      const data = { list: Array.from({ length: 200 }, (_, i) => ({ i, s: 'v' + i })) };
      const text = JSON.stringify(data);
      const pattern = /(a|b)+c$/;
      const subject = 'ab'.repeat(200) + 'c';
      // Each returns true when it did its work right.
      const OPERATIONS = {
        'nothing (the recursion alone)': () => true,
        'gc()': () => (gc(), true),
        "gc({ type: 'minor' })": () => (gc({ type: 'minor' }), true),
        'JSON.stringify': () => JSON.stringify(data) === text,
        'JSON.parse': () => JSON.parse(text).list[199].s === 'v199',
        'a regexp': () => pattern.test(subject) && !pattern.test(subject + 'a'),
        'new Generator().resume()': () => new Generator((y) => y.suspend(41)).resume() === 41,
        // heapUsed: qemu-user reports an RSS of 0, and the call is the same.
        'process.memoryUsage()': () => process.memoryUsage().heapUsed > 0,
      };
      // Compiled and warmed up away from the limit (V8 aborts when it compiles
      // a regexp near it, on any stack): 20 gc() calls of each kind here.
      for (const op of Object.values(OPERATIONS)) for (let i = 0; i < 20; i++) if (op() !== true) throw new Error('warm-up');
      const report = {};
      const { GCProfiler } = require('node:v8');
      for (const [name, op] of Object.entries(OPERATIONS)) {
        const profiler = new GCProfiler();
        profiler.start();
        const gen = new Generator((yielder) => {
          let deepest = 0;
          let ranAt = -1;
          let result;
          function probe(n) {
            deepest = n;
            try {
              probe(n + 1);
            } catch (e) {
              if (!(e instanceof RangeError) || ranAt >= 0) throw e;
              try {
                result = op();
                ranAt = n;
              } catch (inner) {
                // No room for it here: try one frame up.
                if (!(inner instanceof RangeError)) throw inner;
              }
              throw e;
            }
          }
          try {
            probe(0);
          } catch (e) {
            if (!(e instanceof RangeError)) throw e;
          }
          return yielder.suspend({ deepest, framesAbove: ranAt < 0 ? null : deepest - ranAt, result });
        }, new OsStack());
        const out = gen.resume();
        const { used, belowLimit: below } = gen[binding.kStackUsage]();
        gen.return();
        const collections = profiler.stop().statistics.map((gc) => gc.gcType);
        report[name] = { ...out, used, below, collections };
      }
      console.log('report ' + JSON.stringify(report));
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    const report = JSON.parse(/^report (.*)$/m.exec(result.stdout)[1]);
    const summary = Object.entries(report).map(([name, r]) => `${name}: ${r.framesAbove} frames above the deepest, ${r.below} bytes below the JS limit`);
    console.log(`      ${summary.join('\n      ')}`);
    for (const [name, { deepest, framesAbove, result: ok, used, below, collections }] of Object.entries(report)) {
      assert.ok(deepest > 1000 && used > 512 * 1024, `${name}: the recursion reached the limit (${deepest} frames, ${used} bytes)`);
      // It ran at the limit: within a few frames of the deepest (V8's JSON
      // serializer keeps a margin of its own: about 10 frames), and right.
      assert.ok(framesAbove !== null && framesAbove <= 16, `${name} ran ${framesAbove} frames above the deepest`);
      assert.equal(ok, true, `${name} returned a wrong result`);
      assert.ok(below < 16 * 1024, `${name}: ${below} bytes used below the JS limit`);
      const full = collections.filter((type) => type === 'MarkSweepCompact').length;
      assert.equal(full, name === 'gc()' ? 1 : 0, `${name}: full GCs (${collections})`);
      if (name.startsWith('gc(')) assert.ok(collections.length > 0, `${name}: no GC ran`);
    }
  });
});
