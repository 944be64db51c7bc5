'use strict';
// WebAssembly inside and outside generators, in one process. Archived V8
// threads abort the wasm code GC ("archived threads in combination with wasm
// not supported"); the addon turns it off (--no-wasm-code-gc at load), and
// tests below show that it must and that it does.

const assert = require('node:assert/strict');
const { Generator, suspend } = require('..');
const { runScript, describe: explain } = require('./helpers/child');

// (module (import "env" "cb" (func (param i32) (result i32)))
//   (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
//   (func (export "call") (param i32) (result i32) local.get 0 call 0 i32.const 1 i32.add))
const WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f,
  0x02, 0x0a, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x02, 0x63, 0x62, 0x00, 0x01,
  0x03, 0x03, 0x02, 0x00, 0x01,
  0x07, 0x0e, 0x02, 0x03, 0x61, 0x64, 0x64, 0x00, 0x01, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x02,
  0x0a, 0x13, 0x02, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0x01, 0x6a, 0x0b,
]);

// (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
// An out-of-bounds load faults in V8's guard region; V8's trap handler (behind
// Node's SIGSEGV handler, behind fringe's overflow handler) turns the fault
// into a RuntimeError.
const WASM_LOAD = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x08, 0x01, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b,
]);

describe('WebAssembly', () => {
  it('is instantiated and called inside and outside generators in the same process', async () => {
    const outside = new WebAssembly.Instance(new WebAssembly.Module(WASM), { env: { cb: (x) => x * 10 } });
    assert.equal(outside.exports.add(2, 3), 5);
    const gen = new Generator(() => {
      const inside = new WebAssembly.Instance(new WebAssembly.Module(WASM), { env: { cb: (x) => x * 100 } });
      suspend(inside.exports.add(4, 5));
      return inside.exports.call(2) + outside.exports.call(3);
    });
    assert.equal(gen.resume(), 9);
    const { instance } = await WebAssembly.instantiate(WASM, { env: { cb: (x) => x } });
    assert.equal(instance.exports.call(1), 2);
    assert.equal(gen.resume(), 201 + 31);
  });

  it('suspends from a JS function that wasm called: the wasm frame waits on the generator stack', () => {
    const gen = new Generator(() => {
      const inst = new WebAssembly.Instance(new WebAssembly.Module(WASM), { env: { cb: (x) => suspend(x) } });
      return inst.exports.call(41);
    });
    assert.equal(gen.resume(), 41);
    assert.equal(gen.resume(100), 101);
  });

  describe('the wasm code GC, kept off while generators are suspended', () => {
    // Wasm code becomes garbage when a function tiers up (Liftoff -> TurboFan:
    // the Liftoff code is dead), and --stress-wasm-code-gc collects it at once.
    // That collection walks the stacks and aborts when an archived thread
    // exists -- every suspended generator is one. Forced tier-ups
    // (%WasmTierUpFunction) make dead code in every run, whatever V8's tiering
    // budget. Three runs: fringe as shipped (must pass, and no code GC may
    // start), fringe's protection undone after load with no generator
    // suspended (the code GC must run: the workload does make garbage), and
    // undone with generators suspended (V8 aborts: the hazard is real).
    const script = (mode) => `
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      // Undoes what the addon did at load (--no-wasm-code-gc).
      if (${JSON.stringify(mode)} !== 'protected') require('node:v8').setFlagsFromString('--wasm-code-gc');
      const bytes = new Uint8Array(${JSON.stringify(Array.from(WASM))});
      const tierUp = new Function('f', 'return %WasmTierUpFunction(f)');
      const parked = [];
      let sum = 0;
      for (let i = 0; i < 10; i++) {
        if (${JSON.stringify(mode)} !== 'no generators') {
          const g = new Generator(() => {
            const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { cb: (x) => suspend(x) } });
            return inst.exports.call(i);
          });
          g.resume();
          parked.push(g);
        }
        // A module of its own (other bytes: no cache hit), called, tiered up, called again.
        const own = new Uint8Array([...bytes, 0x00, 0x03, 0x01, 0x78, 0x30 + i]);
        const { exports } = new WebAssembly.Instance(new WebAssembly.Module(own), { env: { cb: (x) => x * 2 } });
        sum += exports.add(i, 1) + exports.call(i);
        tierUp(exports.add);
        tierUp(exports.call);
        sum += exports.add(i, 1) + exports.call(i);
        gc();
      }
      for (const g of parked) sum += g.resume(1);
      console.log('sum ' + sum);
    `;
    const FLAGS = ['--allow-natives-syntax', '--expose-gc', '--stress-wasm-code-gc', '--trace-wasm-code-gc'];
    // 10 x ((i + 1) + (2i + 1)) twice, plus 10 parked generators returning 1 + 1.
    const SUM = 2 * Array.from({ length: 10 }, (_, i) => 3 * i + 2).reduce((a, b) => a + b) + 10 * 2;

    it('does not run with generators suspended: tier-ups make dead code, no code GC starts, results are right', () => {
      const result = runScript(script('protected'), FLAGS);
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout.match(/^sum .*$/m)?.[0], `sum ${SUM}`, explain(result));
      assert.doesNotMatch(result.stdout, /\[wasm-gc\] Triggering GC/, 'a wasm code GC started');
    });

    it('does run in the same workload when re-enabled and no generator is suspended (the workload makes garbage)', () => {
      const result = runScript(script('no generators'), FLAGS);
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout.match(/^sum .*$/m)?.[0], `sum ${SUM - 10 * 2}`, explain(result));
      assert.match(result.stdout, /\[wasm-gc\] Triggering GC/, explain(result));
      assert.match(result.stdout, /\[wasm-gc\] Found \d+ dead code objects, freed [1-9]/, explain(result));
    });

    it('aborts V8 when re-enabled with generators suspended (what the protection prevents)', () => {
      const result = runScript(script('unprotected'), FLAGS);
      assert.notEqual(result.status, 0, explain(result));
      assert.match(result.stderr, /archived threads in combination with wasm not supported/, explain(result));
    });
  });

  it('traps an out-of-bounds memory access as a catchable RuntimeError, inside and outside generators', () => {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(WASM_LOAD));
    const outOfBounds = (address) => assert.throws(() => exports.load(address), (e) => e instanceof WebAssembly.RuntimeError && /out of bounds/.test(e.message));
    outOfBounds(1 << 20);
    const gen = new Generator(() => {
      outOfBounds(1 << 20);
      suspend(exports.load(0));
      outOfBounds(-16);
      return 'done';
    });
    assert.equal(gen.resume(), 0);
    assert.equal(gen.resume(), 'done');
    outOfBounds(-16);
  });

  it('traps out-of-bounds accesses while the overflow handler is the SIGSEGV handler, on the main thread and a worker', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      const hooks = require(process.env.FRINGE_ROOT + '/dist/binding').binding.testHooks;
      const { Worker } = require('node:worker_threads');
      if (!hooks.overflowHandlerInstalled()) throw new Error('the overflow handler is not installed');
      const bytes = new Uint8Array(${JSON.stringify(Array.from(WASM_LOAD))});
      const load = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.load;
      const trapped = (address) => { try { load(address); return 'no trap'; } catch (e) { return e.constructor.name; } };
      const gen = new Generator(() => {
        suspend(trapped(1 << 20));
        return trapped(-4);
      });
      const results = [trapped(1 << 20), gen.resume(), gen.resume()];
      const worker = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const { Generator } = require(process.env.FRINGE_ROOT);
        const load = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(\${JSON.stringify(Array.from(bytes))}))).exports.load;
        const trapped = (address) => { try { load(address); return 'no trap'; } catch (e) { return e.constructor.name; } };
        parentPort.postMessage([trapped(1 << 24), new Generator(() => trapped(1 << 24)).resume()]);
      \`, { eval: true });
      worker.on('message', (inWorker) => console.log(JSON.stringify([...results, ...inWorker])));
    `, [], { env: { FRINGE_TEST_HOOKS: '1' } });
    assert.equal(result.status, 0, explain(result));
    assert.deepEqual(JSON.parse(result.stdout), Array(5).fill('RuntimeError'));
  });
});
