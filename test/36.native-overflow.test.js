'use strict';
// Native (C++) stack overflow inside generators: the addon installs a
// SIGSEGV handler at load that reports an overflow into a generator's guard
// page ("fringe: stack overflow in a generator (stack of N bytes)" and how
// to ask for more) and aborts; any other SIGSEGV stays a plain SIGSEGV.
// Everything that crashes runs in a child process, with the test-only
// binding functions that FRINGE_TEST_HOOKS=1 adds.

const assert = require('node:assert/strict');
const { runScript, describe: explain } = require('./helpers/child');
const { binding } = require('../dist/binding');
const { OsStack } = require('..');

const HOOKS = { env: { FRINGE_TEST_HOOKS: '1' } };
const PRELUDE = `
  const fringe = require(process.env.FRINGE_ROOT);
  const hooks = require(process.env.FRINGE_ROOT + '/dist/binding').binding.testHooks;
`;
const REPORT = /fringe: stack overflow in a generator \(stack of (\d+) bytes\)\n/;
const JS_HINT = 'fringe: give the generator a larger stack: the `stack` argument of `new Generator(body, stack)`';

function assertReport(result, size) {
  assert.equal(result.signal, 'SIGABRT', explain(result));
  const match = REPORT.exec(result.stderr);
  assert.ok(match, explain(result));
  assert.equal(Number(match[1]), size, explain(result));
  assert.ok(result.stderr.includes(JS_HINT), explain(result));
}

function assertPlainSegfault(result) {
  assert.equal(result.signal, 'SIGSEGV', explain(result));
  assert.doesNotMatch(result.stderr, /fringe:/, explain(result));
}

describe('native stack overflow', () => {
  const pageRounded = (n) => Math.ceil(n / binding.pageSize) * binding.pageSize;

  it('has no test hooks unless FRINGE_TEST_HOOKS=1 is set at load', () => {
    assert.equal(binding.testHooks, undefined);
    const result = runScript(`${PRELUDE} console.log(typeof hooks.recurseNatively, hooks.overflowHandlerInstalled(), hooks.altStackSize());`, [], HOOKS);
    assert.equal(result.status, 0, explain(result));
    const [type, installed, altStack] = result.stdout.trim().split(' ');
    assert.equal(type, 'function');
    assert.equal(installed, 'true', 'the handler is installed at load');
    assert.ok(Number(altStack) > 0, 'the main thread has an alternate signal stack');
  });

  it('in a generator with a size is reported with that size (page-rounded), then aborts', () => {
    const result = runScript(`${PRELUDE}
      new fringe.Generator(() => hooks.recurseNatively(), 200000).resume();
      console.log('not reached');
    `, [], HOOKS);
    assertReport(result, pageRounded(200000));
    assert.doesNotMatch(result.stdout, /not reached/);
  });

  for (const [guard, env] of [['guard-region', {}], ['mprotect', { FRINGE_STACK_GUARD: 'mprotect' }]]) {
    it(`is reported with guard pages made the ${guard} way, in the first, a middle and the last of 3 000 suspended generators`, function () {
      if (guard === 'guard-region' && binding.stackGuard !== 'guard-region') this.skip();  // kernel before 6.13
      for (const which of [0, 1234, 2999]) {
        const result = runScript(`${PRELUDE}
          const { binding } = require(process.env.FRINGE_ROOT + '/dist/binding');
          require('node:fs').writeSync(1, binding.stackGuard + ' ' + binding.stats().stackMappings + ' ');
          const gens = [];
          for (let i = 0; i < 3000; i++) {
            const g = new fringe.Generator(() => { fringe.suspend(); hooks.recurseNatively(); }, 200000);
            g.resume();
            gens.push(g);
          }
          require('node:fs').writeSync(1, binding.stats().stackMappings + ' ');
          gens[${which}].resume();
        `, [], { env: { ...HOOKS.env, ...env } });
        assertReport(result, pageRounded(200000));
        const [seen, before, held] = result.stdout.trim().split(' ');
        assert.equal(seen, guard);
        // Two mappings per stack with mprotect; with guard regions, chunks of
        // up to 64 stacks of this size.
        assert.equal(Number(held) - Number(before), guard === 'mprotect' ? 6000 : Math.ceil(3000 / 64), explain(result));
      }
    });
  }

  it('in a generator on an OsStack, several calls deep, is reported with the OsStack size', () => {
    const size = new OsStack(256 * 1024).size;
    const result = runScript(`${PRELUDE}
      const stack = new fringe.OsStack(${size});
      const deep = (n) => (n === 0 ? hooks.recurseNatively() : deep(n - 1) + 1);
      const g = new fringe.Generator(() => { fringe.suspend(1); return deep(50); }, stack);
      g.resume();
      g.resume();
    `, [], HOOKS);
    assertReport(result, size);
  });

  it('in a generator resumed by another generator names the inner one', () => {
    const result = runScript(`${PRELUDE}
      const outer = new fringe.Generator(() => {
        const inner = new fringe.Generator(() => hooks.recurseNatively(), 300000);
        return inner.resume();
      });
      outer.resume();
    `, [], HOOKS);
    assertReport(result, pageRounded(300000));
  });

  it('in a generator on a worker thread is reported (each thread gets its own alternate stack)', () => {
    const result = runScript(`${PRELUDE}
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(\`
        const fringe = require(process.env.FRINGE_ROOT);
        const hooks = require(process.env.FRINGE_ROOT + '/dist/binding').binding.testHooks;
        require('node:fs').writeSync(1, 'worker alt stack ' + hooks.altStackSize() + ' ');
        new fringe.Generator(() => hooks.recurseNatively(), 400000).resume();
      \`, { eval: true });
    `, [], HOOKS);
    assertReport(result, pageRounded(400000));
    assert.match(result.stdout, /worker alt stack [1-9]\d*/);
  });

  it('is not claimed outside generators: a write to null stays a plain SIGSEGV', () => {
    assertPlainSegfault(runScript(`${PRELUDE} hooks.writeNull();`, [], HOOKS));
  });

  it('is not claimed outside generators: a write to an unrelated PROT_NONE page stays a plain SIGSEGV', () => {
    const result = runScript(`${PRELUDE}
      const keep = new fringe.OsStack(); // a live guard page elsewhere
      hooks.writeProtectedPage();
    `, [], HOOKS);
    assertPlainSegfault(result);
  });

  it('is not claimed when the thread overflows its own stack outside any generator', () => {
    assertPlainSegfault(runScript(`${PRELUDE} hooks.recurseNatively();`, [], HOOKS));
  });

  it('is not claimed for a fault inside a generator that is not in its guard page', () => {
    assertPlainSegfault(runScript(`${PRELUDE} new fringe.Generator(() => hooks.writeProtectedPage()).resume();`, [], HOOKS));
  });
});
