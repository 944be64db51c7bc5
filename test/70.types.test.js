'use strict';
// The package's types and entry points as a consumer sees them: the packed
// package unpacked into a temporary project's node_modules/fringe, consumer
// files type-checked there with `tsc --strict` under each module resolution
// a Node project uses, and the package loaded at run time by require() and
// by import, both through the exports map.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pack, consumerProject, unpackInto, npmEnv, root } = require('./helpers/package');

const tsc = require.resolve('typescript/bin/tsc');
const fixtures = path.join(__dirname, 'fixtures', 'consumer');

/** The names index.d.ts exports: { values, types }. */
function exportedNames(dts) {
  const values = [];
  const types = [];
  for (const [, typeOnly, list] of dts.matchAll(/^export (type )?\{([^}]*)\}/gm)) {
    for (const name of list.split(',').map((n) => n.trim()).filter(Boolean)) (typeOnly ? types : values).push(name);
  }
  for (const [, kind, name] of dts.matchAll(/^export (?:declare )?(type|interface|const|function|class) (\w+)/gm)) {
    (kind === 'type' || kind === 'interface' ? types : values).push(name);
  }
  return { values: values.sort(), types: types.sort() };
}

/**
 * The consumer files: usage.ts's body under an ES module header and a
 * CommonJS one; and the same without its `using` declarations
 * (esm-es2022.mts, cjs-es2022.cts), for a lib that lacks the global
 * Disposable type they need: Symbol.dispose itself still has to work there.
 */
function consumerSources(names) {
  const body = fs.readFileSync(path.join(fixtures, 'usage.ts'), 'utf8');
  const withoutUsing = body.replace(/^ *\/\/ using declarations: begin.*\n[^]*?^ *\/\/ using declarations: end\n/gm, '');
  assert.ok(!/\busing \w+ =/.test(withoutUsing) && withoutUsing.length < body.length, 'the using declarations are marked');
  const values = names.values.join(', ');
  const types = `import type { ${names.types.join(', ')} } from 'fringe';\n`;
  const esm = `import fringe, { ${values} } from 'fringe';\n${types}`;
  const cjs = `import fringe = require('fringe');\nimport { ${values} } from 'fringe';\n${types}`;
  return {
    'esm.mts': `${esm}${body}`,
    'cjs.cts': `${cjs}${body}`,
    'esm-es2022.mts': `${esm}${withoutUsing}`,
    'cjs-es2022.cts': `${cjs}${withoutUsing}`,
  };
}

/**
 * Compiler settings to check the consumers under, and the declaration files
 * each must resolve 'fringe' to. Only the first loads @types/node (it triples
 * tsc's time): the others show that the declarations need nothing from it,
 * nor from lib esnext.disposable (lib/disposable.ts declares Symbol.dispose).
 */
const WITHOUT_NODE_TYPES = { types: [], lib: ['es2022'] };
const SETTINGS = [
  {
    name: 'module nodenext (target and lib esnext), with @types/node',
    options: { module: 'nodenext', types: ['node'] },
    files: ['esm.mts', 'cjs.cts'],
    resolves: ['esm/index.d.mts', 'dist/index.d.ts'],
  },
  {
    name: 'target es2022, module nodenext, its default lib, without @types/node',
    options: { module: 'nodenext', target: 'es2022', types: [] },
    files: ['esm-es2022.mts', 'cjs-es2022.cts'],
    resolves: ['esm/index.d.mts', 'dist/index.d.ts'],
  },
  {
    name: 'module node16',
    options: { module: 'node16', ...WITHOUT_NODE_TYPES },
    files: ['esm-es2022.mts', 'cjs-es2022.cts'],
    resolves: ['esm/index.d.mts', 'dist/index.d.ts'],
  },
  {
    name: 'moduleResolution bundler (module preserve)',
    options: { module: 'preserve', target: 'es2022', ...WITHOUT_NODE_TYPES },
    files: ['esm-es2022.mts', 'cjs-es2022.cts'],
    resolves: ['esm/index.d.mts', 'dist/index.d.ts'],
  },
  {
    name: 'module commonjs, moduleResolution node10 (the "types" field)',
    options: { module: 'commonjs', moduleResolution: 'node10', target: 'es2022', ...WITHOUT_NODE_TYPES },
    files: ['cjs-es2022.cts'],
    resolves: ['dist/index.d.ts'],
  },
];

/** Runs tsc on a tsconfig written for `options` and `files`; returns { status, output, files }. */
function typeCheck(project, name, options, files) {
  const config = path.join(project, `tsconfig.${name}.json`);
  const compilerOptions = { strict: true, noEmit: true, skipLibCheck: false, ...options };
  fs.writeFileSync(config, JSON.stringify({ compilerOptions, files }, null, 2));
  const result = spawnSync(process.execPath, [tsc, '-p', config, '--listFiles'], { cwd: project, encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`;
  const listed = output.split('\n').filter((line) => line.startsWith('/'));
  return { status: result.status, output, files: listed };
}

/** [file, line] of each error in tsc's output. */
function errorLines(output) {
  return [...output.matchAll(/^([\w.-]+)\((\d+),\d+\): error TS\d+/gm)].map((m) => `${m[1]}:${m[2]}`).sort();
}

describe('the packed package, as a TypeScript consumer sees it', function () {
  this.timeout(5 * 60 * 1000);
  let project;
  let installed;
  let names;
  let sources;

  before(() => {
    project = consumerProject('fringe-types-');
    installed = unpackInto(project, pack().tarball);
    // What npm would install beside it: its dependency, and @types/node.
    const modules = path.join(project, 'node_modules');
    fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(modules, 'node-gyp-build'));
    fs.mkdirSync(path.join(modules, '@types'));
    fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(modules, '@types', 'node'));
    names = exportedNames(fs.readFileSync(path.join(installed, 'dist', 'index.d.ts'), 'utf8'));
    sources = consumerSources(names);
    for (const [file, text] of Object.entries(sources)) fs.writeFileSync(path.join(project, file), text);
  });

  it('declares exactly the values the package exports at run time', () => {
    assert.deepEqual(names.values, Object.keys(require(root)).sort());
    assert.ok(names.types.length > 0, 'some types are exported');
  });

  it('is used in full by the consumer files: every exported value and type', () => {
    const body = fs.readFileSync(path.join(fixtures, 'usage.ts'), 'utf8');
    const unused = [...names.values, ...names.types].filter((name) => !new RegExp(`\\b${name}\\b`).test(body));
    assert.deepEqual(unused, []);
  });

  for (const setting of SETTINGS) {
    it(`type-checks with --strict under ${setting.name}`, () => {
      const result = typeCheck(project, setting.name.replace(/\W+/g, '-'), setting.options, setting.files);
      assert.equal(result.status, 0, result.output.split('\n').filter((l) => !l.startsWith('/')).join('\n'));
      for (const file of setting.resolves) {
        assert.ok(result.files.includes(path.join(installed, file)), `'fringe' resolved to ${file}`);
      }
      assert.ok(!result.files.some((f) => f.startsWith(path.join(root, 'lib'))), 'nothing from the checkout');
      const nodeTypes = result.files.some((f) => f.includes('/@types/node/'));
      assert.equal(nodeTypes, setting.options.types.includes('node'), 'loads @types/node only when asked to');
    });
  }

  it('rejects each misuse marked @ts-expect-error (the directives are not vacuous)', () => {
    // Without the directives, tsc must report an error on exactly the lines after them.
    const expected = [];
    for (const [file, text] of Object.entries(sources)) {
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (line.trim().startsWith('// @ts-expect-error')) {
          expected.push(`bare-${file}:${i + 2}`);
          lines[i] = line.replace('@ts-expect-error', 'expected error:');
        }
      });
      fs.writeFileSync(path.join(project, `bare-${file}`), lines.join('\n'));
    }
    assert.ok(expected.length >= 20, `${expected.length} directives`);
    const result = typeCheck(project, 'bare', { module: 'nodenext', types: [] }, Object.keys(sources).map((file) => `bare-${file}`));
    assert.notEqual(result.status, 0);
    assert.deepEqual([...new Set(errorLines(result.output))], expected.sort(), result.output);
  });

  it('loads the same module through require() and import, resolved by the exports map, and runs generators', () => {
    fs.copyFileSync(path.join(fixtures, 'runtime.mjs'), path.join(project, 'runtime.mjs'));
    // The addon built in this checkout for the running node (scripts/test.js
    // names it in FRINGE_ADDON_PATH under the other Node versions), where a
    // source install puts it.
    const addon = path.join(installed, 'build', 'Release', 'fringe.node');
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.copyFileSync(process.env.FRINGE_ADDON_PATH || path.join(root, 'build', 'Release', 'fringe.node'), addon);
    // Without this checkout's variables (FRINGE_ADDON_PATH would make the
    // installed package load the checkout's addon); lists the addons loaded.
    const probe = path.join(project, 'addons.cjs');
    fs.writeFileSync(probe, `process.on('exit', () => process.stderr.write('ADDONS ' + JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node')))));`);
    const result = spawnSync(process.execPath, ['--require', probe, 'runtime.mjs'], { cwd: project, env: npmEnv(), encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(/^ADDONS (.*)$/m.exec(result.stderr)[1]), [addon], 'the installed copy of the addon');
    const report = JSON.parse(result.stdout);
    assert.equal(report.required, path.join(installed, 'dist', 'index.js'));
    assert.equal(report.imported, path.join(installed, 'esm', 'index.mjs'));
    assert.deepEqual(report.esmKeys, report.cjsKeys, 'esm/index.mjs exports every name of dist/index.js');
    assert.deepEqual(report.cjsKeys, names.values);
    assert.deepEqual(report.differentValues, []);
    assert.equal(report.defaultIsRequired, true);
    assert.deepEqual(report.viaImport, [2, 10, 'done']);
    assert.deepEqual(report.viaRequire, [2, 10, 'done']);
    assert.equal(report.waited, 42);
  });
});
