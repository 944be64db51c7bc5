'use strict';
// OsStack.

const assert = require('node:assert/strict');
const { OsStack, DEFAULT_STACK_SIZE, MINIMUM_STACK_SIZE } = require('..');
const { runScript, describe: explain } = require('./helpers/child');
const { emulated } = require('./helpers/emulation');

describe('OsStack', () => {
  it('defaults to 1 MiB, with base above limit by exactly the size', () => {
    const stack = new OsStack();
    assert.equal(DEFAULT_STACK_SIZE, 1024 * 1024);
    assert.equal(stack.size, DEFAULT_STACK_SIZE);
    assert.equal(typeof stack.base, 'bigint');
    assert.equal(stack.base - stack.limit, BigInt(stack.size));
    assert.equal(stack.base % 16n, 0n);
    assert.equal(stack.inUse, false);
    stack.release();
  });

  it('rounds sizes up to whole pages', () => {
    const stack = new OsStack(MINIMUM_STACK_SIZE + 1);
    assert.equal(stack.size % 4096, 0);
    assert.ok(stack.size > MINIMUM_STACK_SIZE);
    stack.release();
  });

  it('throws RangeError (ERR_OUT_OF_RANGE) below the minimum that can run JavaScript, or for non-integers', () => {
    for (const bad of [0, 4096, MINIMUM_STACK_SIZE - 1, 1.5, -1, NaN, Infinity, 2 ** 48]) {
      assert.throws(() => new OsStack(bad), (e) => {
        assert.ok(e instanceof RangeError);
        assert.equal(e.code, 'ERR_OUT_OF_RANGE');
        assert.match(e.message, /^Expected size to be an integer from \d+ to \d+ \(bytes\), got /);
        return true;
      });
    }
  });

  it('throws TypeError (ERR_INVALID_ARG_TYPE) for a size that is not a number', () => {
    for (const bad of ['1048576', null, {}, 1n]) {
      assert.throws(() => new OsStack(bad), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && /^Expected size to be a number of bytes, got /.test(e.message));
    }
  });

  it('release() unmaps once; again is a no-op; [Symbol.dispose] releases', () => {
    const stack = new OsStack();
    stack.release();
    assert.equal(stack.released, true);
    stack.release();
    const other = new OsStack();
    other[Symbol.dispose]();
    assert.equal(other.released, true);
  });

  it('reports a failed mapping as ERR_STACK_ALLOCATION with the system reason', function () {
    // qemu-user keeps flags per guest page: a 32 TiB mapping takes it many
    // minutes. The failing mmap is the same code on every architecture.
    if (emulated) this.skip();
    // 32 TiB at a time: the user address space (128 TiB on x86_64, 256 TiB
    // on arm64 with 48-bit addresses) runs out within eight, whatever the
    // layout of the process.
    const result = runScript(`
      const { OsStack } = require(process.env.FRINGE_ROOT);
      const stacks = [];
      try { for (let i = 0; i < 8; i++) stacks.push(new OsStack(2 ** 45)); console.log('mapped all'); }
      catch (e) { console.log(e.code, e.message); }
    `);
    assert.equal(result.status, 0, explain(result));
    assert.match(result.stdout, /^ERR_STACK_ALLOCATION Cannot map a stack of \d+ bytes: Cannot allocate memory/);
  });

  it('stops short of exhausting vm.max_map_count with an error, leaving the rest of the process mappings to work with', () => {
    // Taking every mapping would make V8's own next mmap fail and abort the
    // process; stacks stop while the process still has room, and it goes on
    // (compiling, allocating, logging) before the stacks are released.
    const result = runScript(`
      const { OsStack } = require(process.env.FRINGE_ROOT);
      const stacks = [];
      try { for (;;) stacks.push(new OsStack()); }
      catch (e) { console.log(e.code, stacks.length > 1000, /near vm\.max_map_count/.test(e.message)); }
      const work = new Function('n', 'let s = 0; for (let i = 0; i < n; i++) s += i; return s')(1000);
      const garbage = Array.from({ length: 20000 }, (_, i) => ({ i, s: 'x' + i }));
      console.log(work, garbage.length);
      for (const s of stacks) s.release();
      console.log(new OsStack().size);
    `, [], { timeout: 120000 });
    assert.equal(result.status, 0, explain(result));
    assert.deepEqual(result.stdout.trim().split('\n'), ['ERR_STACK_ALLOCATION true true', '499500 20000', String(1024 * 1024)]);
  });
});
