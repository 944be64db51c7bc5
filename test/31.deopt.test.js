'use strict';
// Lazy deoptimization of optimized frames that are suspended on a
// generator's stack (test/fixtures/deopt.js). Each run shows its premise:
// the frame runs TurboFan (or Maglev) code when it suspends, per
// %GetOptimizationStatus of the topmost activation; the code is invalidated
// and maps change while it is suspended; V8 reports a deopt-lazy of that
// function (--trace-deopt) and the frame runs interpreted after the resume;
// the result is exact. A control run changes nothing: the frame comes back
// still optimized, so the deoptimization is the changes' doing.

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');
const { hasFlag } = require('./helpers/v8flags');

const fixture = path.join(__dirname, 'fixtures', 'deopt.js');
const GC_FLAG_SETS = [[], ['--stress-incremental-marking'], ['--stress-compaction-random'], ['--verify-heap']];

// OSR'd loops: one optimizing tier at a time, so that the loop's first
// optimized code is the tier under test (V8 12+ tiers a loop up through
// Maglev first unless --no-maglev-osr).
const OSR_FLAGS = { turbofan: hasFlag('--maglev-osr') ? ['--no-maglev-osr'] : [], maglev: ['--no-turbofan'] };

const runs = [];
for (const flags of GC_FLAG_SETS) runs.push({ what: 'function', tier: 'turbofan', change: 'change', flags });
runs.push({ what: 'function', tier: 'turbofan', change: 'same', flags: [] });
for (const change of ['change', 'same']) {
  runs.push({ what: 'function', tier: 'maglev', change, flags: [] });
  for (const tier of ['turbofan', 'maglev']) runs.push({ what: 'osr', tier, change, flags: OSR_FLAGS[tier] });
}

const FUNCTION = { function: 'weightedSum', osr: 'osrSum' };

describe('deoptimization while suspended', () => {
  let results;
  before(async () => {
    results = await inParallel(
      runs.map(({ what, tier, change, flags }) => () =>
        spawnNode(['--allow-natives-syntax', '--expose-gc', '--trace-deopt', ...flags, fixture, what, tier, change])),
    );
  });

  runs.forEach(({ what, tier, change, flags }, index) => {
    const subject = what === 'function' ? `a ${tier}-optimized function` : `a loop OSR'd to ${tier}`;
    const title =
      change === 'change'
        ? `${subject}, suspended mid-loop, is deoptimized lazily when its code was invalidated and maps changed while it was suspended, with exact results`
        : `${subject}, suspended mid-loop, resumes in its optimized code when nothing changed (control)`;
    it(`${title} (${flags.join(' ') || 'no flags'})`, function () {
      const result = results[index];
      assert.equal(result.status, 0, explain(result));
      const line = /^result (.*)$/m.exec(result.stdout);
      assert.ok(line, explain(result));
      const out = JSON.parse(line[1]);
      if (out.unavailable) {
        // Node 20 and 22 are built without Maglev (%IsMaglevEnabled() is
        // false even with --maglev); later versions must run it.
        assert.equal(tier, 'maglev', out.unavailable);
        assert.ok(Number(process.versions.node.split('.')[0]) <= 22, `Node ${process.versions.node}: ${out.unavailable}`);
        this.skip();
      }
      const fn = FUNCTION[what];
      // The premise: optimized code was running in the frame when it suspended.
      assert.equal(out.frameAtSuspension, tier, `${fn}'s frame at the suspension`);
      // An OSR'd loop runs code of its own, not the function's.
      assert.equal(out.wholeFunctionOptimized, what === 'function', `${fn} optimized as a whole`);
      assert.equal(out.partial, out.expectedPartial, 'the value suspended');
      assert.equal(out.result, out.expected, 'the result');
      const lazy = new RegExp(`deopt-lazy[^\\n]*<JSFunction ${fn}\\b`);
      if (change === 'change') {
        // Deoptimized while suspended: the resume returned into the interpreter.
        assert.match(result.stdout, lazy, `--trace-deopt reports no deopt-lazy of ${fn}`);
        assert.equal(out.frameAfterResume, 'interpreted', `${fn}'s frame after the resume`);
      } else {
        assert.doesNotMatch(result.stdout, lazy);
        assert.equal(out.frameAfterResume, tier, `${fn}'s frame after the resume`);
      }
    });
  });
});
