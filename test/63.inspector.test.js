'use strict';
// Generators under a debugger (node:inspector, in-process session): pausing
// in a body, breakpoints in bodies that are suspended, stepping across
// suspend() and resume(), and evaluating on paused frames -- each scenario
// in a child process (test/fixtures/inspector.js), so that a crash fails the
// test instead of killing mocha.

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');
const { binding } = require('../dist/binding');
const { hasFlag } = require('./helpers/v8flags');
const { slower } = require('./helpers/emulation');

const fixture = path.join(__dirname, 'fixtures', 'inspector.js');
const STRESS = ['--stress-scavenge=10'];
const UNKNOWN_STEPPING = { FRINGE_FAULT_INJECTION: 'debug_stepping_unknown' };

// Every run, keyed by a name the tests below look up.
const runs = {
  debugger: { args: ['debugger-statement'] },
  breakpoint: { args: ['breakpoint'] },
  // The fixture asks for countingBody's optimization (%OptimizeFunctionOnNextCall)
  // and reports the tier of its frames when they suspend: --always-turbofan
  // alone left them interpreted on Node 22 and 24, and Node 26's
  // --jit-fuzzing (forceOptimization()) now and then leaves the first in
  // baseline code, so it runs with --always-turbofan only where that exists.
  'breakpoint turbofan': { args: ['breakpoint'], flags: ['--allow-natives-syntax', ...(hasFlag('--always-turbofan') ? ['--always-turbofan'] : [])] },
  'breakpoint sparkplug': { args: ['breakpoint'], flags: ['--always-sparkplug'] },
  evaluate: { args: ['evaluate'] },
  'debugger stress': { args: ['debugger-statement'], flags: STRESS },
  'breakpoint stress': { args: ['breakpoint'], flags: STRESS },
  'evaluate stress': { args: ['evaluate'], flags: STRESS },
  'paused-handler': { args: ['paused-handler'] },
  'paused-handler stress': { args: ['paused-handler'], flags: STRESS },
  sessions: { args: ['sessions'] },
  'sessions stress': { args: ['sessions'], flags: ['--expose-gc', ...STRESS] },
  'sessions unknown': { args: ['sessions'], env: UNKNOWN_STEPPING },
};
const STEPS = ['stepOver', 'stepInto', 'stepOut'];
const MIXED = ['mixed:1', 'mixed:2', 'mixed:3', 'mixed:4'];
for (const side of ['body', 'main']) {
  for (const action of [...STEPS, ...MIXED]) runs[`step ${action} ${side}`] = { args: ['step', action, side] };
  for (const action of ['stepInto', 'mixed:1']) {
    runs[`step ${action} ${side} stress`] = { args: ['step', action, side], flags: STRESS };
    runs[`step ${action} ${side} unknown`] = { args: ['step', action, side], env: UNKNOWN_STEPPING };
  }
}

describe('generators under the inspector (node:inspector Session in the same process)', function () {
  this.timeout(slower(10 * 60 * 1000));
  const results = {};
  before(async () => {
    const names = Object.keys(runs);
    const done = await inParallel(
      names.map((name) => () => {
        const { args, flags = [], env } = runs[name];
        return spawnNode([...flags, fixture, ...args], { env, timeout: 120000 });
      }),
    );
    names.forEach((name, i) => (results[name] = done[i]));
  });

  /** The fixture's JSON output of a run, after checking that it exited cleanly. */
  function output(name) {
    const result = results[name];
    assert.equal(result.status, 0, `${name}: ${explain(result)}`);
    return JSON.parse(result.stdout.trim().split('\n').pop());
  }

  it('the addon decoded where V8 keeps a step in progress (else steps are not re-armed after a switch)', () => {
    assert.equal(binding.debugStepping, true);
  });

  describe('a `debugger` statement in a body', () => {
    for (const name of ['debugger', 'debugger stress']) {
      it(`pauses with the body's frame on top, then the body goes on (${name})`, () => {
        const out = output(name);
        assert.equal(out.pauses.length, 1);
        const [pause] = out.pauses;
        assert.equal(pause.reason, 'other');
        assert.equal(pause.functionName, 'pausingBody');
        assert.equal(pause.url, out.url);
        assert.equal(pause.line, out.expectedLine);
        assert.equal(pause.frames[0], 'pausingBody');
        assert.deepEqual(pause.local, { value: 5 });
        assert.deepEqual(out.results, [6, 20, 'done']);
        // Generators that were suspended meanwhile are intact.
        assert.deepEqual(out.idleFirst, [1, 2, 3]);
        assert.deepEqual(out.idleAfter, [101, 102, 103]);
      });
    }
  });

  describe('Debugger.setBreakpointByUrl on a line of a body', () => {
    for (const name of ['breakpoint', 'breakpoint turbofan', 'breakpoint sparkplug', 'breakpoint stress']) {
      it(`is hit by generators that were suspended in the body when it was set (${name})`, () => {
        const out = output(name);
        assert.equal(out.locations, 1);
        assert.equal(out.hitsWhileSet, 12);  // 4 generators x 3 resumes, each passing the line once
        for (const hit of out.hits) {
          assert.equal(hit.at, `countingBody@${out.expectedLine}`);
          assert.deepEqual(hit.breakpoints, [out.breakpointId]);
        }
        assert.deepEqual(out.hits.map((h) => h.acc), [10, 10, 10, 10, 21, 21, 21, 21, 32, 32, 32, 32]);
        assert.equal(out.hitsAfter, 0);  // removed
        // The premise of the optimizing run: the four bodies were suspended in
        // TurboFan code when the breakpoint was set (none of the others asks).
        assert.deepEqual(out.suspendedTiers, name === 'breakpoint turbofan' ? Array(4).fill('turbofan') : []);
        assert.deepEqual(out.results, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 55, 4, 55, 4, 55, 4, 55]);
      });
    }
  });

  describe('stepping across suspend() and resume()', () => {
    /** Index of the first log entry equal to `entry`. */
    const at = (log, entry) => {
      const index = log.indexOf(entry);
      assert.ok(index >= 0, `no "${entry}" in ${log.join(' | ')}`);
      return index;
    };

    for (const side of ['body', 'main']) {
      for (const action of [...STEPS, ...MIXED]) {
        it(`${action} from a pause in ${side === 'body' ? 'a body' : 'the driving code'} completes with the right results`, () => {
          const out = output(`step ${action} ${side}`);
          assert.deepEqual(out.results, out.expected);
          assert.ok(out.pauses > 1, `only ${out.pauses} pauses`);
        });
      }
    }

    it('a step over a line that suspends goes on in the generator when it is resumed', () => {
      const { log, lines } = output('step stepOver body');
      // The step over `total += middle(...)` waits while the generator is
      // suspended (twice, in leaf() then middle()); when the driving code
      // resumes it the second time, the call returns and the step pauses at
      // once on the body's next statement (the loop's i++) -- never in main.
      assert.equal(log[at(log, 'resume 1') + 1], 'resume 1');
      assert.equal(log[at(log, 'resume 2') + 1], `pause steppingBody@${lines.loop}`);
      assert.ok(!log.some((entry) => entry.startsWith('pause drive')), log.join(' | '));
    });

    it('a step into suspend() goes on in the generator when it is resumed (no crash: V8 bug worked around)', () => {
      const { log } = output('step stepInto body');
      // Before the fix, the first resume of a generator that had stepped into
      // suspend() crashed in Debug::RestoreDebug.
      assert.match(log[at(log, 'resume 1') + 1], /^pause /);
      assert.ok(!log.some((entry) => entry.startsWith('pause drive')), log.join(' | '));
    });

    it('a step out of a body that suspends first pauses only once the body has returned', () => {
      const { log, lines } = output('step stepOut body');
      const early = log.slice(0, at(log, 'resume 6')).filter((entry) => entry.startsWith('pause'));
      assert.deepEqual(early, Array(3).fill(`pause steppingBody@${lines.body}`));  // the `debugger`, once per generator
      assert.ok(log.slice(at(log, 'resume 6')).some((entry) => entry.startsWith('pause')), log.join(' | '));
      // Where it pauses then: the bottom of the generator's own stack,
      // fringe's fiberMain (docs/API.md, "Threads, async context and the
      // debugger"); V8 steps out only to a caller on the same stack.
      const late = log.slice(at(log, 'resume 6')).filter((entry) => entry.startsWith('pause'));
      assert.ok(late.every((entry) => /^pause fiberMain@\d+ \(outside\)$/.test(entry)), late.join(' | '));
    });

    for (const action of ['stepOver', 'stepInto']) {
      it(`a ${action} in the driving code over resume() pauses in it again after the generator suspends`, () => {
        const { log, lines } = output(`step ${action} main`);
        assert.equal(log[0], `pause drive@${lines.main}`);
        assert.match(log[at(log, 'resume 0') + 1], /^pause drive@/);
        assert.ok(!log.some((entry) => /^pause (steppingBody|middle|leaf)@/.test(entry)), log.join(' | '));
      });
    }

    for (const side of ['body', 'main']) {
      for (const action of ['stepInto', 'mixed:1']) {
        it(`${action} from ${side} under --stress-scavenge=10`, () => {
          const out = output(`step ${action} ${side} stress`);
          assert.deepEqual(out.results, out.expected);
        });
        it(`${action} from ${side} where the stepping fields are unknown (steps not re-armed, no crash)`, () => {
          const out = output(`step ${action} ${side} unknown`);
          const armed = output(`step ${action} ${side}`);
          assert.deepEqual(out.results, out.expected);
          // The fault injection took effect: this run had no re-arming, the
          // other one had.
          assert.equal(out.debugStepping, false);
          assert.equal(armed.debugStepping, true);
          // The debugger still pauses, but steps that were in progress at a
          // switch are lost: fewer pauses than with re-arming (from main
          // both runs reach the fixture's cap of 400 pauses first).
          assert.ok(out.pauses > 1, `only ${out.pauses} pauses`);
          if (side === 'body') assert.ok(out.pauses < armed.pauses, `${out.pauses} pauses, ${armed.pauses} with re-arming`);
        });
      }
    }
  });

  describe('debugger sessions that end and start again while generators stay suspended', () => {
    for (const name of ['sessions', 'sessions stress', 'sessions unknown']) {
      it(`pause where the current session asks, never for a step of an earlier one (${name})`, () => {
        const { results, expected, pausesByRound, states, lines } = output(name);
        assert.deepEqual(results, expected);
        assert.deepEqual(states, ['done', 'done', 'done']);
        // Round 2: the first session's breakpoint, once per generator (its
        // step over the line suspends and is left in progress). Round 4: the
        // second session, no breakpoint: no pause (fringe 0.1 re-armed the
        // first session's steps here, pausing in suspend()). Round 5: its
        // breakpoint, once per generator. Without a debugger: nothing.
        const none = [];
        assert.deepEqual(pausesByRound, [
          none,
          none,
          Array(3).fill(`leaf@${lines.leaf}`),
          none,
          none,
          Array(3).fill(`middle@${lines.middle}`),
          none,
          none,
        ]);
      });
    }
  });

  describe('Debugger.evaluateOnCallFrame on a paused body while other generators are suspended', () => {
    for (const name of ['evaluate', 'evaluate stress']) {
      it(`reads locals of the body's frames, resumes other generators, and may not suspend the paused one (${name})`, () => {
        const out = output(name);
        assert.deepEqual(out.evaluations, {
          here: { value: 9 },
          innerOnCaller: { value: 8 },
          resumeOther: { value: 15 },
          resumeSelf: { value: 'ERR_GENERATOR_RUNNING' },
          current: { value: true },
          // Refused: the paused body would leave V8 in its break.
          suspendFromEval: { value: 'ERR_SUSPEND_IN_DEBUGGER' },
        });
        assert.deepEqual(out.log, [
          `pause innerFrame@${out.lines.pause} < evaluatedBody@${out.lines.call}`,
          'evaluations done',
          'main after first resume',
        ]);
        assert.deepEqual(out.results, ['after', 109, 'done', 16, 21]);
      });
    }
  });

  describe('a Debugger.paused handler on a body\'s stack', () => {
    for (const name of ['paused-handler', 'paused-handler stress']) {
      it(`cannot suspend the body (ERR_SUSPEND_IN_DEBUGGER), and later debugger statements still pause (${name})`, () => {
        const out = output(name);
        // Without the refusal the body suspended inside the pause, and
        // main's `debugger` statement was ignored: one pause, not two.
        assert.deepEqual(out.refusals, ['ERR_SUSPEND_IN_DEBUGGER']);
        assert.deepEqual(out.pauses, [`pausedHandlerBody@${out.lines.body}`, `scenarios.paused-handler@${out.lines.main}`]);
        assert.deepEqual(out.results, [2, 'done']);
      });
    }
  });
});
