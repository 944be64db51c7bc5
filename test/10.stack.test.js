'use strict';
// OsStack.

const assert = require('node:assert/strict');
const { OsStack, DEFAULT_STACK_SIZE, MINIMUM_STACK_SIZE } = require('..');
const { runScript, describe: explain } = require('./helpers/child');
const { emulated } = require('./helpers/emulation');
const { binding } = require('../dist/binding');

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

  it('with guard pages made by mprotect (FRINGE_STACK_GUARD=mprotect, or a kernel before 6.13), stops short of exhausting vm.max_map_count with an error, leaving the rest of the process mappings to work with', () => {
    // Each stack is two mappings here. Taking every mapping would make V8's
    // own next mmap fail and abort the process; stacks stop while the
    // process still has room, and it goes on (compiling, allocating,
    // logging) before the stacks are released.
    const result = runScript(`
      const { OsStack } = require(process.env.FRINGE_ROOT);
      const { binding } = require(process.env.FRINGE_ROOT + '/dist/binding');
      const maps = () => require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
      const before = maps();
      const stacks = [];
      try { for (;;) stacks.push(new OsStack()); }
      catch (e) { console.log(binding.stackGuard, e.code, stacks.length > 1000, /near vm\\.max_map_count.*each stack takes 2/.test(e.message), maps() - before >= 2 * stacks.length); }
      const work = new Function('n', 'let s = 0; for (let i = 0; i < n; i++) s += i; return s')(1000);
      const garbage = Array.from({ length: 20000 }, (_, i) => ({ i, s: 'x' + i }));
      console.log(work, garbage.length);
      for (const s of stacks) s.release();
      console.log(new OsStack().size, binding.stats().stackMappings);
    `, [], { timeout: 120000, env: { FRINGE_STACK_GUARD: 'mprotect' } });
    assert.equal(result.status, 0, explain(result));
    assert.deepEqual(result.stdout.trim().split('\n'), ['mprotect ERR_STACK_ALLOCATION true true true', '499500 20000', `${1024 * 1024} 2`]);
  });

  it('with guard regions (MADV_GUARD_INSTALL, Linux 6.13+), carves default-size stacks 63 to a 64 MiB mapping: 100 000 fit in 1 588 mappings, each with its guard', function () {
    if (binding.stackGuard !== 'guard-region') this.skip();  // the kernel lacks MADV_GUARD_INSTALL (the test above covers it)
    const result = runScript(`
      const { OsStack } = require(process.env.FRINGE_ROOT);
      const { binding } = require(process.env.FRINGE_ROOT + '/dist/binding');
      const fs = require('node:fs');
      const maps = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
      const before = maps();
      const stacks = [];
      for (let i = 0; i < 100000; i++) stacks.push(new OsStack());
      const grew = maps() - before;
      // Each stack's guard page is just below its limit: no two stacks overlap
      // and none starts within a page of the next one's top.
      const limits = stacks.map((s) => s.limit).sort((a, b) => (a < b ? -1 : 1));
      let apart = true;
      for (let i = 1; i < limits.length; i++) if (limits[i] - limits[i - 1] < BigInt(${1024 * 1024} + ${binding.pageSize})) apart = false;
      console.log(binding.stackGuard, binding.stats().stackMappings, grew, apart);
      for (const s of stacks) s.release();
      console.log(binding.stats().stackMappings);
    `, [], { timeout: 120000 });
    assert.equal(result.status, 0, explain(result));
    const [first, second] = result.stdout.trim().split('\n');
    const [guard, held, grew, apart] = first.split(' ');
    assert.equal(guard, 'guard-region');
    const perChunk = Math.min(64, Math.floor((64 << 20) / (1024 * 1024 + binding.pageSize)));
    assert.equal(Number(held), Math.ceil(100000 / perChunk));
    assert.ok(Number(grew) <= Number(held) + 200, `/proc/self/maps grew by ${grew} lines for ${held} chunks`);
    assert.equal(apart, 'true');
    assert.ok(Number(second) <= 1, `${second} chunks still mapped after every stack was released (one may stay for reuse)`);
  });
});
