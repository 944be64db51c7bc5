'use strict';
// The addon builds, loads, and is built the same way by both build systems.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { root, runScript, describe: explain } = require('./helpers/child');

function gypSources() {
  const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8'));
  return gyp.targets[0].sources.slice().sort();
}

function cmakeSources() {
  const text = fs.readFileSync(path.join(root, 'native', 'addon', 'sources.cmake'), 'utf8');
  return [...text.matchAll(/native\/[\w./]+\.cc/g)].map((m) => m[0]).sort();
}

describe('build', function () {
  this.timeout(10 * 60 * 1000);

  // The build under test: build/Release, or the one FRINGE_ADDON_PATH names
  // (scripts/test.js builds one per node version that way).
  const addon = process.env.FRINGE_ADDON_PATH || path.join(root, 'build', 'Release', 'fringe.node');

  it('loads the addon built from source', () => {
    assert.ok(fs.existsSync(addon), `${addon} exists`);
    const result = runScript(`console.log(require.resolve(process.env.FRINGE_ROOT), require(process.env.FRINGE_ROOT).supported)`);
    assert.equal(result.status, 0, explain(result));
  });

  it('binding.gyp and CMakeLists.txt (native/addon/sources.cmake) list the same sources', () => {
    assert.deepEqual(cmakeSources(), gypSources());
    for (const file of gypSources()) assert.ok(fs.existsSync(path.join(root, file)), file);
  });

  it('has no include cycle among the native sources', () => {
    // Quoted includes resolve against the including file's directory, then
    // the include roots the builds give (native/include, native).
    const roots = [path.join(root, 'native', 'include'), path.join(root, 'native')];
    const files = fs.readdirSync(path.join(root, 'native'), { recursive: true })
      .filter((f) => /\.(h|hpp|cc)$/.test(f)).map((f) => path.join(root, 'native', f));
    const includes = new Map(files.map((file) => {
      const names = [...fs.readFileSync(file, 'utf8').matchAll(/^#include "([^"]+)"/gm)].map((m) => m[1]);
      const resolved = names.map((name) => [path.dirname(file), ...roots].map((dir) => path.join(dir, name)).find((f) => fs.existsSync(f)));
      return [file, resolved.filter(Boolean)];
    }));
    const state = new Map();  // 1: on the current path, 2: done
    const visit = (file, trail) => {
      if (state.get(file) === 2) return;
      assert.notEqual(state.get(file), 1, `include cycle: ${[...trail, file].map((f) => path.relative(root, f)).join(' -> ')}`);
      state.set(file, 1);
      for (const next of includes.get(file) || []) visit(next, [...trail, file]);
      state.set(file, 2);
    };
    for (const file of files) visit(file, []);
  });

  it('marks the addon stack non-executable (GNU_STACK RW)', () => {
    const segments = execFileSync('readelf', ['-lW', addon], { encoding: 'utf8' });
    const line = segments.split('\n').find((l) => l.includes('GNU_STACK'));
    assert.ok(line, 'a GNU_STACK segment');
    assert.match(line, /RW /);
    assert.doesNotMatch(line, /RWE/);
  });

  it('builds the same addon with cmake-js, and it runs generators', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-cmake-'));
    try {
      const env = { ...process.env };
      if (process.env.FRINGE_NODEDIR) env.npm_config_nodedir = process.env.FRINGE_NODEDIR;
      execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'build', '--out', out, '--directory', root], {
        cwd: root,
        env,
        stdio: 'pipe',
      });
      const addon = path.join(out, 'Release', 'fringe.node');
      const result = runScript(`
        const { Generator, suspend, supported, unsupportedReason } = require(process.env.FRINGE_ROOT);
        if (!supported) throw new Error(unsupportedReason);
        const g = new Generator((y, x) => suspend(x + 1) * 2);
        const loaded = Object.keys(require.cache).includes(${JSON.stringify(addon)});
        console.log(g.resume(1), g.resume(5), loaded);
      `, [], { env: { FRINGE_ADDON_PATH: addon } });
      assert.equal(result.status, 0, explain(result));
      assert.equal(result.stdout.trim(), '2 10 true');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
