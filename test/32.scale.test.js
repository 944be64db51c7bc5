'use strict';
// Many generators at once, and many created and dropped.

const assert = require('node:assert/strict');
const path = require('node:path');
const { Generator, suspend } = require('..');
const { describe: explain, runScript } = require('./helpers/child');
const { binding } = require('../dist/binding');
const { spawnNode } = require('./helpers/parallel');
const { maxMapCount, stacksThatFit } = require('./helpers/mappings');
const { slower, scaled, rssMeasurable, emulated } = require('./helpers/emulation');

describe('scale', function () {
  this.timeout(slower(10 * 60 * 1000));

  // 10 000 at once needs about 20 000 kernel mappings: as many as
  // vm.max_map_count leaves room for, on a machine that sets it low.
  const N = Math.min(10000, stacksThatFit());

  it(`suspends ${N} generators at once (10 000, or what vm.max_map_count = ${maxMapCount()} leaves room for), then resumes all to completion with correct results`, function () {
    if (N < 1000) this.skip();  // a cap this low leaves no scale to test
    const generators = [];
    for (let i = 0; i < N; i++) {
      generators.push(
        new Generator((y, first) => {
          const own = { i, list: [i, -i] };
          const a = y.suspend(first * 2);
          const b = suspend(`${own.i}:${a}`);
          return own.list[0] + own.list[1] + a + b;
        }),
      );
    }
    for (let i = 0; i < N; i++) assert.equal(generators[i].resume(i), i * 2);
    for (let i = 0; i < N; i++) assert.equal(generators[i].resume(i + 1), `${i}:${i + 1}`);
    for (let i = N - 1; i >= 0; i--) {
      assert.equal(generators[i].resume(1), i + 2);
      assert.equal(generators[i].state, 'done');
    }
  });

  it('with guard regions (Linux 6.13+), holds 200 000 suspended under the default vm.max_map_count, and a native overflow in one of them is still reported', function () {
    if (binding.stackGuard !== 'guard-region') this.skip();  // the kernel lacks MADV_GUARD_INSTALL: ~30 000 is the cap there
    const result = runScript(`
      const fringe = require(process.env.FRINGE_ROOT);
      const { binding } = require(process.env.FRINGE_ROOT + '/dist/binding');
      const fs = require('node:fs');
      const gens = [];
      for (let i = 0; i < 200000; i++) {
        const g = new fringe.Generator((y, n) => { const m = y.suspend(n + 1); if (m === 'overflow') binding.testHooks.recurseNatively(); return n * 2; });
        if (g.resume(i) !== i + 1) throw new Error('wrong first result at ' + i);
        gens.push(g);
      }
      const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
      let ok = 0;
      for (const i of [0, 1, 99999, 199998]) ok += gens[i].resume('x') === i * 2;
      fs.writeSync(1, [binding.stats().liveGenerators, maps, ok].join(' ') + '\\n');
      gens[123456].resume('overflow');
    `, [], { env: { FRINGE_TEST_HOOKS: '1' }, timeout: 300000 });
    const [live, maps, ok] = result.stdout.trim().split(' ').map(Number);
    assert.equal(live, 200000 - 4, explain(result));  // the 4 resumed to their end are gone
    assert.ok(maps < 65530 / 4, `${maps} mappings for 200 000 stacks`);
    assert.equal(ok, 4);
    assert.equal(result.signal, 'SIGABRT', explain(result));
    assert.match(result.stderr, /fringe: stack overflow in a generator \(stack of 1048576 bytes\)/);
  });

  // docs/DESIGN.md, "A fiber's first handle block is in its stack": it
  // shares a page with the fiber's first frames, instead of being an 8 KiB
  // malloc block of V8's whose first page the body touches.
  it('a suspended shallow generator costs at most 6 KiB of anonymous RSS; with every handle block V8\'s (their measurement failed on purpose) it costs over 8', async function () {
    if (!rssMeasurable || N < 1000) this.skip();  // under emulation RSS is qemu's (helpers/emulation.js)
    const perGenerator = `
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      // Anonymous memory (RssAnon): the pages of node's own code that run
      // for the first time here (GC paths) are file-backed and not per
      // generator (up to 0.6 KiB per generator over 10 000 on Node 22).
      const anonymousBytes = () => {
        gc();
        gc();
        return 1024 * Number(/RssAnon:\\s+(\\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]);
      };
      for (let i = 0; i < 2000; i++) new Generator(() => i).resume();  // code and pool warm
      const before = anonymousBytes();
      const held = [];
      for (let i = 0; i < ${N}; i++) {
        const g = new Generator(() => { for (;;) suspend(); });
        g.resume();
        held.push(g);
      }
      console.log((anonymousBytes() - before) / ${N} / 1024);
    `;
    const [ours, theirs] = await Promise.all([
      spawnNode(['--expose-gc', '-e', perGenerator]),
      spawnNode(['--expose-gc', '-e', perGenerator], { env: { FRINGE_FAULT_INJECTION: 'handle_blocks_unmeasured' } }),
    ]);
    assert.equal(ours.status, 0, explain(ours));
    assert.equal(theirs.status, 0, explain(theirs));
    const kib = Number(ours.stdout), fallbackKib = Number(theirs.stdout);
    assert.ok(kib <= 6, `${kib.toFixed(2)} KiB per suspended generator`);
    assert.ok(fallbackKib > 8, `${fallbackKib.toFixed(2)} KiB per suspended generator with V8's handle blocks`);
  });

  // docs/DESIGN.md section 1, page tables: a stack's touched top page needs
  // a page of page tables for its 2 MiB of address space; stacks carved
  // next to each other share it (and the guard region below a stack lies in
  // its neighbour's), so the cost per generator falls with the stack size.
  it('a suspended shallow generator costs one page-table entry per page of its stack (2 KiB on 1 MiB, 0.26 KiB on 128 KiB, with 4 KiB pages): neighbouring stacks share page tables', async function () {
    if (!rssMeasurable || N < 1000) this.skip();  // under emulation the page tables are qemu's
    const perGenerator = (stackSize) => `
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      const pageTableBytes = () => 1024 * Number(/VmPTE:\\s+(\\d+) kB/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]);
      const held = [];
      const make = () => {
        const g = new Generator(() => { for (;;) suspend(); }, ${stackSize});
        g.resume();
        held.push(g);
      };
      for (let i = 0; i < 200; i++) make();  // the first chunk's start
      const before = pageTableBytes();
      for (let i = 0; i < ${N}; i++) make();
      console.log((pageTableBytes() - before) / ${N} / 1024);
    `;
    const sizes = [1 << 20, 128 << 10];
    const results = await Promise.all(sizes.map((size) => spawnNode(['-e', perGenerator(size)])));
    results.forEach((result) => assert.equal(result.status, 0, explain(result)));
    const [defaultKib, smallKib] = results.map((result) => Number(result.stdout));
    // Shared, they cost one 8-byte entry per page of each stack and its
    // guard: 2.0 and 0.26 KiB with 4 KiB pages. Chunks do not start on a
    // table's boundary, so the tables at their edges are partly empty (up
    // to a fifth more for 128 KiB stacks, 64 to a chunk).
    const sharedKib = (size) => (8 * (size + binding.pageSize)) / binding.pageSize / 1024;
    assert.ok(defaultKib > 0.75 * sharedKib(1 << 20) && defaultKib <= 1.15 * sharedKib(1 << 20),
      `${defaultKib.toFixed(3)} KiB of page tables per generator on 1 MiB stacks (${sharedKib(1 << 20).toFixed(3)} shared)`);
    assert.ok(smallKib <= 1.5 * sharedKib(128 << 10),
      `${smallKib.toFixed(3)} KiB of page tables per generator on 128 KiB stacks (${sharedKib(128 << 10).toFixed(3)} shared)`);
  });

  // Runtime::Teardown gives a thread's stacks back at once
  // (BudgetedStack::ReleaseMany): the chunks it leaves empty are unmapped
  // whole, without giving each slot's pages back first.
  it('a worker that ends with 4 000 generators suspended unmaps the chunks it leaves empty; the main thread\'s generators in shared chunks run on (plain, and --stress-scavenge=10)', async function () {
    if (binding.stackGuard !== 'guard-region') this.skip();  // no chunks without guard regions
    const fixture = path.join(__dirname, 'fixtures', 'worker-teardown-stacks.js');
    const env = { TEARDOWN_GENERATORS: String(scaled(4000, 400)) };
    for (const flags of [[], ['--stress-scavenge=10']]) {
      const result = await spawnNode([...flags, fixture], { env });
      assert.equal(result.status, 0, explain(result));
      const ok = /^ok (\d+) (\d+) (\d+) (\d+)$/m.exec(result.stdout);
      assert.ok(ok, explain(result));
      const [checked, before, during, after] = ok.slice(1).map(Number);
      assert.equal(checked, 600);
      assert.ok(during > before + 5, `chunk mappings ${before} before the worker, ${during} with it`);
      // The size only the worker used keeps its last chunk (release() keeps
      // the last with room); the main thread's sizes have theirs.
      assert.ok(after <= before + 3, `chunk mappings ${before} before the worker, ${during} with it, ${after} after`);
    }
  });

  // Runtime::TrimIdleStacks: a stack keeps resident every page its deepest
  // call touched; after a full GC, those of generators (and pooled fibers)
  // idle since the full GC before it give back their pages below their frames.
  it('idle generators that once went deep, and pooled fibers, give back their stack pages below their frames after two full GCs; generators resumed in between keep theirs; every value survives (plain, with process_madvise refused, and under 3 stress flags)', async function () {
    const fixture = path.join(__dirname, 'fixtures', 'trim-idle-stacks.js');
    const refused = { FRINGE_FAULT_INJECTION: 'process_madvise_refused' };
    const runs = [[[], {}], [[], refused], [['--stress-scavenge=10'], {}], [['--stress-compaction-random'], {}], [['--stress-incremental-marking'], {}]];
    for (const [flags, env] of runs) {
      const deep = flags.length === 0 ? scaled(500, 50) : scaled(200, 30);
      const result = await spawnNode(['--expose-gc', ...flags, fixture, String(deep)], { env });
      assert.equal(result.status, 0, explain(result));
      const out = JSON.parse(result.stdout);
      const what = `${flags.join(' ') || 'no flags'} ${JSON.stringify(env)}: ${result.stdout}`;
      if (env === refused) assert.equal(out.batched, false, what);
      assert.equal(out.checked, out.deep + out.active + out.shallow + out.pooled, what);
      // Two full GCs (gc()'s, or V8's own under stress) after each went
      // idle, every deep one has given back what it touched below its
      // frames: a few KiB of them are left (over 100 KiB before).
      assert.ok(out.deepUsedAfter < 32 * 1024, what);
      if (flags.length > 0) continue;
      assert.ok(out.deepUsedBefore > 100 * 1024, what);
      // With no GC but the two gc() calls: the first finds every fiber busy
      // in the interval it ends; the second trims the idle ones, not those
      // resumed between the two. In one batch every idle stack's range goes
      // (those with nothing resident there cost a page-table walk); one
      // madvise each, only those with a page resident below the slack: the
      // deep and the pooled ones, and the odd shallow one whose first run
      // compiled deep.
      assert.equal(out.trimmedAfterFirst, 0, what);
      const least = out.deep + out.pooled + (out.batched ? out.shallow : 0);
      assert.ok(out.trimmedAfterSecond >= least && out.trimmedAfterSecond <= least + 10, what);
      assert.ok(out.activeUsedAfter * 2 > out.deepUsedBefore, what);
    }
  });

  // One coroutine per connection, the use the scale work is for: each
  // connection's handler is a run() that waits for the socket's next chunk
  // from a blocking readLine(), so every open connection is a suspended
  // generator, resumed by libuv's callbacks in whatever order data comes.
  it('serves up to 10 000 TCP connections on 127.0.0.1 at once, one run() each waiting in a blocking readLine(), every answer right (examples/line-server.js; plain, and --stress-scavenge=10 with 500)', async function () {
    const fs = require('node:fs');
    // Both ends of every connection are in the one process.
    const openFiles = Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
    const most = Math.min(10000, stacksThatFit(), Math.floor((openFiles - 512) / 2));
    const example = path.join(__dirname, '..', 'examples', 'line-server.js');
    for (const [flags, clients] of [[[], scaled(most, 100)], [['--stress-scavenge=10'], scaled(500, 50)]]) {
      const result = await spawnNode([...flags, example, '--clients', String(clients)]);
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout, `${clients} connections open at once, ${clients} handlers waiting in readLine(), ${clients} generators suspended\n` +
        `${clients * 3} lines answered, 0 wrong\n`, explain(result));
    }
  });

  // mapping_budget.cc: chunks are shared by every thread's stacks, under one
  // lock; slots are carved, given back (MADV_DONTNEED) and whole chunks
  // unmapped while other threads carve from their neighbours.
  it('stacks of three sizes made and given back on four threads at once: every generator yields what it should (plain, and --stress-scavenge=10)', async function () {
    const fixture = path.join(__dirname, 'fixtures', 'stack-churn-threads.js');
    const env = { CHURN_ROUNDS: String(scaled(12, 2)), CHURN_PER_ROUND: String(scaled(1500, 150)) };
    for (const flags of [[], ['--stress-scavenge=10']]) {
      const result = await spawnNode([...flags, fixture], { env });
      assert.equal(result.status, 0, explain(result));
      const ok = /^ok (\d+)$/m.exec(result.stdout);
      assert.ok(ok, explain(result));
      // Rounds checked: the main thread's and its three workers'.
      assert.equal(Number(ok[1]), 4 * Number(env.CHURN_ROUNDS), explain(result));
    }
  });

  // Runtime::StackReleaseBatch: the stacks of collected generators that a
  // reap unwinds go back together (BudgetedStack::ReleaseMany), their pages
  // in one process_madvise per 1 024 where the kernel takes MADV_DONTNEED
  // that way (Linux 6.13+; qemu-user does not), else one madvise each.
  it('the stacks of 3 000 collected generators go back in batches: a handful of process_madvise calls on Linux 6.13+, one madvise each where refused (FRINGE_FAULT_INJECTION=process_madvise_refused); every finally block runs, the kept ones run on (plain, and --stress-scavenge=10)', async function () {
    if (binding.stackGuard !== 'guard-region') this.skip();  // no carved slots without guard regions
    const fixture = path.join(__dirname, 'fixtures', 'reap-batch.js');
    const count = scaled(4000, 400);
    // The probe must find the kernel's batching where it exists: Linux
    // 6.13+ natively, without a seccomp filter (which may refuse the call).
    // Under qemu-user it is qemu's business.
    const [major, minor] = require('node:os').release().split('.').map(Number);
    const seccomp = /^Seccomp:\s+(\d+)/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
    if (!emulated && (major > 6 || (major === 6 && minor >= 13)) && seccomp && seccomp[1] === '0') {
      assert.equal(binding.batchedPageRelease, true);
    }
    const batching = emulated ? undefined : binding.batchedPageRelease;
    const runs = [
      { flags: [], env: {}, batched: batching },
      { flags: [], env: { FRINGE_FAULT_INJECTION: 'process_madvise_refused' }, batched: false },
      { flags: ['--stress-scavenge=10'], env: {}, batched: undefined },
    ];
    for (const { flags, env, batched } of runs) {
      const result = await spawnNode(['--expose-gc', ...flags, fixture, String(count)], { env });
      assert.equal(result.status, 0, explain(result));
      const out = JSON.parse(result.stdout);
      const how = `${flags.join(' ') || 'no flags'} ${JSON.stringify(env)}: ${result.stdout.trim()}`;
      assert.equal(out.unwound, out.dropped, how);
      assert.equal(out.kept, count / 4, how);
      assert.ok(out.calls <= out.released, how);
      // Under stress each scavenge's reap is a small batch, and most fibers
      // go back to the pool.
      if (flags.length > 0) continue;
      // Most dropped stacks were given back (the rest went through the
      // pool to later generators: how many depends on when V8 collects).
      assert.ok(out.released >= out.dropped / 2, how);
      if (batched === undefined) continue;
      if (batched) assert.ok(out.calls * 100 <= out.released, how);
      else assert.equal(out.calls, out.released, how);
    }
  });

  it('runs every finally block of 100 000 suspended generators created and dropped, and RSS after GC stays within 50 MiB', async () => {
    const result = await spawnNode(['--expose-gc', path.join(__dirname, 'fixtures', 'churn.js'), '100000']);
    assert.equal(result.status, 0, explain(result));
    const out = JSON.parse(result.stdout);
    assert.equal(out.finallies, 100000);
    assert.equal(out.live, 0);
    // Not judged where RSS is not measurable (under emulation: helpers/emulation.js).
    if (rssMeasurable) assert.ok(out.rssEndMiB - out.rssStartMiB < 50, `RSS grew from ${out.rssStartMiB} to ${out.rssEndMiB} MiB`);
  });
});
