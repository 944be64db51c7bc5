'use strict';
// async_hooks and generators. A body runs in its resumer's async context:
// Node keeps one execution async id (and one async-id stack) per thread, and
// a switch does not touch it. A body that suspends inside an async scope it
// entered itself would hand that scope to its resumer and corrupt Node's
// async-id stack (Node exits: "async hook stack has become corrupted"), so
// such a suspend is refused with ERR_SUSPEND_IN_ASYNC_SCOPE.

const assert = require('node:assert/strict');
const { AsyncResource, executionAsyncId } = require('node:async_hooks');
const { Generator, suspend } = require('..');
const { runScript, runFixture, describe: explain } = require('./helpers/child');

describe('async_hooks', () => {
  for (const hooks of [false, true]) {
    it(`a body sees its resumer's executionAsyncId and AsyncLocalStorage store at each resume${hooks ? ' (with a hook enabled)' : ''}`, () => {
      const result = runScript(`
        const { Generator, suspend } = require(process.env.FRINGE_ROOT);
        const { AsyncLocalStorage, createHook, executionAsyncId, triggerAsyncId } = require('node:async_hooks');
        if (${hooks}) createHook({ init() {} }).enable();
        const storage = new AsyncLocalStorage();
        const inside = [];
        const gen = new Generator(() => {
          for (;;) {
            inside.push([executionAsyncId(), triggerAsyncId(), storage.getStore()]);
            suspend();
          }
        });
        const outside = [];
        const resumeFrom = (where) => {
          outside.push([executionAsyncId(), triggerAsyncId(), storage.getStore()]);
          gen.resume();
          outside[outside.length - 1].push(where);
        };
        resumeFrom('top level');
        storage.run('timer store', () => setTimeout(() => {
          resumeFrom('timer');
          Promise.resolve().then(() => {
            resumeFrom('promise callback');
            setImmediate(() => {
              storage.run('immediate store', () => resumeFrom('immediate'));
              // After run(): the store the immediate inherited from the timer.
              resumeFrom('immediate, after run()');
              console.log(JSON.stringify({ inside, outside }));
            });
          });
        }, 1));
      `);
      assert.equal(result.status, 0, explain(result));
      const { inside, outside } = JSON.parse(result.stdout);
      assert.equal(inside.length, 5);
      for (let i = 0; i < outside.length; i++) {
        const where = outside[i].pop();
        assert.deepEqual(inside[i], outside[i], `resumed from ${where}`);
      }
      assert.equal(outside[0][0], 1, 'the top level has execution async id 1');
      // The resumes happened in different contexts, so the test can tell them apart.
      const ids = outside.map((o) => o[0]).slice(0, 4);
      assert.equal(new Set(ids).size, 4, JSON.stringify(outside));
      assert.deepEqual(outside.map((o) => o[2] ?? null), [null, 'timer store', 'timer store', 'immediate store', 'timer store']);
    });
  }

  it('refuses suspend() and Yielder#suspend() inside an async scope the body entered; the body can go on', () => {
    const resource = new AsyncResource('test');
    const gen = new Generator((yielder) => {
      const errors = [];
      for (const attempt of [() => suspend(1), () => yielder.suspend(2)]) {
        resource.runInAsyncScope(() => {
          try {
            attempt();
          } catch (e) {
            errors.push([e.code, e.message]);
          }
        });
      }
      const input = yielder.suspend('outside the scope');
      return { errors, input };
    });
    assert.equal(gen.resume(), 'outside the scope');
    const { errors, input } = gen.resume('in');
    assert.equal(input, 'in');
    assert.equal(errors.length, 2);
    for (const [code, message] of errors) {
      assert.equal(code, 'ERR_SUSPEND_IN_ASYNC_SCOPE');
      assert.match(message, new RegExp(`execution async id ${resource.asyncId()}, resumed in ${executionAsyncId()}`));
    }
  });

  it('allows a suspend inside an async scope the resumer entered, and one of an inner generator resumed inside the scope', () => {
    const resource = new AsyncResource('test');
    const inner = new Generator(() => {
      suspend('inner');
      return 'inner done';
    });
    const outer = new Generator(() => {
      const seen = resource.runInAsyncScope(() => [inner.resume(), inner.resume()]);
      suspend(seen);
      return 'outer done';
    });
    // The resumer's own scope: the body suspends in it, and is resumed in it.
    const seen = new AsyncResource('resumer').runInAsyncScope(() => outer.resume());
    assert.deepEqual(seen, ['inner', 'inner done']);
    assert.equal(outer.resume(), 'outer done');
  });

  it('keeps Node alive when a body tries to suspend inside runInAsyncScope and is resumed from timers', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      const { AsyncResource, executionAsyncId } = require('node:async_hooks');
      const gen = new Generator(() => {
        let refused;
        new AsyncResource('x').runInAsyncScope(() => {
          try { suspend('in scope'); } catch (e) { refused = e.code; }
        });
        suspend(refused);
        return 'done';
      });
      console.log(gen.resume(), executionAsyncId());
      setTimeout(() => {
        console.log(gen.resume(), executionAsyncId());
        setTimeout(() => console.log('later', executionAsyncId() > 1), 1);
      }, 1);
    `);
    assert.equal(result.status, 0, explain(result));
    assert.doesNotMatch(result.stderr, /async hook stack has become corrupted/);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], 'ERR_SUSPEND_IN_ASYNC_SCOPE 1');
    assert.match(lines[1], /^done \d+$/);
    assert.equal(lines[2], 'later true');
  });

  it('unwinds a collected generator from another async context without refusing its suspends', () => {
    const result = runScript(`
      const { Generator, suspend } = require(process.env.FRINGE_ROOT);
      process.on('warning', (w) => console.log('warning', w.code, w.message));
      let unwound = 0;
      (() => {
        const gen = new Generator(() => {
          try { suspend(1); } finally { try { suspend(2); } finally { unwound++; } }
        });
        gen.resume(); // from the top level (async id 1)
      })();
      setTimeout(() => {
        // A timer has another execution async id; the unwinding suspends
        // must be checked against it, not against the last resume's.
        gc();
        new Generator(() => 0).resume(); // reaps the collected one
        setImmediate(() => console.log('unwound', unwound));
      }, 1);
    `, ['--expose-gc']);
    assert.equal(result.status, 0, explain(result));
    assert.equal(result.stdout.trim(), 'unwound 1', explain(result));
  });
});

// Node 24+ keeps AsyncLocalStorage stores in an AsyncContextFrame, which V8
// holds in one isolate-wide slot that it visits once per archived thread:
// with generators suspended, a scavenge copied a young frame twice and the
// next GC aborted (native/v8/continuation_data_guard.h). Node 22 does the
// same with --experimental-async-context-frame; Node 20 keeps stores on async
// resources, where this fixture checks the stores only.
describe('AsyncLocalStorage stores across switches, under scavenges', () => {
  const frameFlag = process.allowedNodeEnvironmentFlags.has('--experimental-async-context-frame') &&
    Number(process.versions.node.split('.')[0]) < 24
    ? ['--experimental-async-context-frame']
    : [];
  for (const flags of [['--stress-scavenge=10'], ['--stress-scavenge=10', '--max-semi-space-size=1']]) {
    it(`keep generators, run()s and their stores intact, resumed from promise reactions (${[...frameFlag, ...flags].join(' ')})`, () => {
      const result = runFixture('async-context.js', [...frameFlag, ...flags], ['20', '10']);
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout.trim(), 'ok 220', explain(result));
    });
  }
});
