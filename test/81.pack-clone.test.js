'use strict';
// `npm pack` from a fresh clone (scripts/prepack.js): the tarball holds a
// prebuilt addon for every Node ABI package.json claims, each built from the
// sources being packed, or npm pack refuses and says which are missing and
// what to run. A source-only package is packed only when asked for.

const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { npmEnv, root } = require('./helpers/package');
const { claimed, describeClaim, status } = require('../scripts/prebuilds');
const { secondaryRun } = require('./helpers/v8flags');

describe('npm pack from a fresh clone', function () {
  this.timeout(5 * 60 * 1000);
  let clone;

  before(function () {
    // Packing runs the same scripts whichever node runs mocha.
    if (secondaryRun) this.skip();
    clone = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'fringe-clone-'));
    execFileSync('git', ['clone', '--quiet', root, clone]);
    // What `npm install` leaves there: the dev dependencies `prepare` needs.
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'));
  });
  after(() => clone && fs.rmSync(clone, { recursive: true, force: true }));

  /** `npm pack --dry-run --json` in the clone: { status, stderr, files }. */
  function packClone(extraEnv = {}) {
    const result = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: clone, env: npmEnv(extraEnv), encoding: 'utf8', maxBuffer: 64 << 20 });
    const files = result.status === 0 ? JSON.parse(result.stdout)[0].files.map((f) => f.path).sort() : null;
    return { status: result.status, stderr: result.stderr, files };
  }

  it('refuses without prebuilds, naming every claimed ABI and what to run', () => {
    const claims = claimed();
    assert.ok(claims.length >= 4, 'package.json claims the four Node majors');
    const result = packClone();
    assert.notEqual(result.status, 0, 'npm pack failed');
    assert.match(result.stderr, /fringe: not packing/);
    const missing = /missing: (.*)/.exec(result.stderr)?.[1];
    assert.equal(missing, claims.map(describeClaim).join(', '));
    assert.match(result.stderr, /npm run prebuilds/);
    assert.match(result.stderr, /FRINGE_PACK_SOURCE_ONLY=1/);
  });

  it('packs a source-only package when asked to, with no prebuilds in it', () => {
    const result = packClone({ FRINGE_PACK_SOURCE_ONLY: '1' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /every install of this package compiles the addon/);
    assert.deepEqual(result.files.filter((f) => f.startsWith('prebuilds/')), []);
    assert.ok(result.files.includes('binding.gyp') && result.files.includes('dist/index.js'));
  });

  describe('with prebuilds built from these sources (npm run prebuilds)', () => {
    before(function () {
      // CI builds them before the suite (.ci/run) and sets FRINGE_TEST_PREBUILDS=1;
      // a checkout without them has nothing to copy.
      const own = status();
      if (process.env.FRINGE_TEST_PREBUILDS !== '1' && own.fresh.length !== claimed().length) this.skip();
      assert.deepEqual(own.missing.concat(own.stale).map(describeClaim), [], 'this checkout\'s prebuilds are fresh');
      fs.cpSync(path.join(root, 'prebuilds'), path.join(clone, 'prebuilds'), { recursive: true });
      fs.mkdirSync(path.join(clone, 'build-matrix'), { recursive: true });
      fs.copyFileSync(path.join(root, 'build-matrix', 'prebuilds.json'), path.join(clone, 'build-matrix', 'prebuilds.json'));
    });

    it('packs exactly the claimed prebuilds', () => {
      const result = packClone();
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(result.files.filter((f) => f.startsWith('prebuilds/')), claimed().map((c) => c.file).sort());
      assert.match(result.stderr, /fringe: packing prebuilds for /);
    });

    it('refuses a source-only pack while prebuilds/ holds binaries', () => {
      const result = packClone({ FRINGE_PACK_SOURCE_ONLY: '1' });
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /remove prebuilds\/ to pack a source-only package/);
    });

    it('refuses once a native source changes, naming each prebuild as built from other sources', () => {
      const source = path.join(clone, 'native', 'addon', 'binding_module.cc');
      fs.appendFileSync(source, '\n// changed after the prebuilds were built\n');
      const result = packClone();
      assert.notEqual(result.status, 0);
      assert.equal(/built from other sources than these \(or by hand\): (.*)/.exec(result.stderr)?.[1], claimed().map(describeClaim).join(', '));
    });
  });
});
