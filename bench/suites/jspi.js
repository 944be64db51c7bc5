'use strict';
// WebAssembly JSPI (JavaScript Promise Integration): a wasm function, made
// promise-returning by WebAssembly.promising(), calls an import wrapped in
// WebAssembly.Suspending() that returns a resolved promise; the wasm stack
// suspends there and resumes when the promise's reaction runs. One operation
// is one such suspending call (suspend + resume); it can only suspend wasm
// frames: JavaScript frames between the promising export and the import
// are not allowed. Against an await of a resolved value and a function*
// next() measured in the same process; each is a batch, see js-suite.js.
//
// The module is built here from its bytes (no toolchain):
//
//   (module
//     (import "env" "next" (func $next (param i32) (result i32)))
//     (func (export "loop") (param $n i32) (result i32) (local $sum i32)
//       (block (loop
//         (br_if 1 (i32.eqz (local.get $n)))
//         (local.set $sum (i32.add (local.get $sum) (call $next (local.get $n))))
//         (local.set $n (i32.sub (local.get $n) (i32.const 1)))
//         (br 0)))
//       (local.get $sum)))

const { BATCH, awaitBatch, starBatch, deferred, runJsSuite } = require('./js-suite');

// A section: its id, its size (one LEB128 byte: every section here is
// shorter than 128 bytes) and its contents.
function section(id, bytes) {
  if (bytes.length >= 128) throw new Error('section too long for a one-byte size');
  return [id, bytes.length, ...bytes];
}
const name = (s) => [s.length, ...Buffer.from(s, 'utf8')];
const I32 = 0x7f;
const body = [
  1, 1, I32, // locals: one group of one i32 ($sum)
  0x02, 0x40, // block
  0x03, 0x40, // loop
  0x20, 0, 0x45, 0x0d, 1, // local.get $n; i32.eqz; br_if 1
  0x20, 1, 0x20, 0, 0x10, 0, 0x6a, 0x21, 1, // $sum += next($n)
  0x20, 0, 0x41, 1, 0x6b, 0x21, 0, // $n -= 1
  0x0c, 0, // br 0
  0x0b, 0x0b, // end loop, end block
  0x20, 1, // local.get $sum
  0x0b, // end
];
const bytes = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // \0asm, version 1
  ...section(1, [1, 0x60, 1, I32, 1, I32]), // type 0: (i32) -> i32
  ...section(2, [1, ...name('env'), ...name('next'), 0x00, 0]), // import func 0: type 0
  ...section(3, [1, 0]), // func 1: type 0
  ...section(7, [1, ...name('loop'), 0x00, 1]), // export "loop" = func 1
  ...section(10, [1, body.length, ...body]), // code of func 1
]);

const resolved = Promise.resolve(1);
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
  env: { next: new WebAssembly.Suspending(() => resolved) },
});
const loop = WebAssembly.promising(instance.exports.loop);

async function jspiBatch() {
  const sum = await loop(BATCH);
  if (sum !== BATCH) throw new Error(`the wasm loop returned ${sum}, not ${BATCH}`);
}

runJsSuite({
  jspi_roundtrip_ns: deferred(jspiBatch),
  await_ns: deferred(awaitBatch),
  function_star_next_ns: starBatch,
});
