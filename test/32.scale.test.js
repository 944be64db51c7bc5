'use strict';
// Many generators at once, and many created and dropped.

const assert = require('node:assert/strict');
const path = require('node:path');
const { Generator, suspend } = require('..');
const { describe: explain } = require('./helpers/child');
const { spawnNode } = require('./helpers/parallel');
const { maxMapCount, stacksThatFit } = require('./helpers/mappings');
const { slower, rssMeasurable } = require('./helpers/emulation');

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
