'use strict';
// Many generators at once, and many created and dropped.

const assert = require('node:assert/strict');
const path = require('node:path');
const { Generator, suspend } = require('..');
const { describe: explain } = require('./helpers/child');
const { spawnNode } = require('./helpers/parallel');

describe('scale', function () {
  this.timeout(10 * 60 * 1000);

  it('suspends 10 000 generators at once, then resumes all to completion with correct results', () => {
    const N = 10000;
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
    assert.ok(out.rssEndMiB - out.rssStartMiB < 50, `RSS grew from ${out.rssStartMiB} to ${out.rssEndMiB} MiB`);
  });
});
