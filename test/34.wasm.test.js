'use strict';
// WebAssembly inside and outside generators, in one process. Archived V8
// threads abort the wasm code GC ("archived threads in combination with wasm
// not supported"); the addon turns it off, and --stress-wasm-code-gc proves it.

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

  it('survives the wasm code GC under --stress-wasm-code-gc with generators suspended', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      const bytes = new Uint8Array(${JSON.stringify(Array.from(WASM))});
      const parked = [];
      for (let i = 0; i < 20; i++) {
        const g = new Generator(() => {
          const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { cb: (x) => suspend(x) } });
          return inst.exports.call(i);
        });
        g.resume();
        parked.push(g);
        for (let j = 0; j < 20; j++) new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { cb: (x) => x } }).exports.call(j);
        gc();
      }
      let sum = 0;
      for (const g of parked) sum += g.resume(1);
      console.log(sum);
    `, ['--expose-gc', '--stress-wasm-code-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout.trim(), String(20 * 2));
  });
});
