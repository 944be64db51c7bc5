'use strict';
// Nesting invariants (issue 11; docs/DESIGN.md, "Nesting invariants"): V8
// and Node state kept per thread, isolate or context on the assumption that
// on one thread a call that starts later ends sooner. A generator breaks
// that assumption whenever it suspends with such a call open on its stack.
// Each row of the audit table that is not harmless has a test here; each
// runs in a child process (the failures were crashes, silent exits and
// wrong results), without flags and under --stress-scavenge=10.

const assert = require('node:assert/strict');
const { runScript, describe: explain } = require('./helpers/child');

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
  this.timeout(120000);

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
  }
});
