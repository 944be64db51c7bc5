'use strict';
// Every code sample in README.md and docs/*.md, run as a user would run it,
// with what it prints checked against the output the document shows.
//
// The conventions (also in CONTRIBUTING.md, "Samples in the documentation"):
//
// - A fenced block whose language is js, cjs, mjs, ts, cts or mts (or
//   javascript, typescript) is a sample. js and cjs run as CommonJS, mjs as
//   an ES module; ts and mts are type-checked with `tsc --strict` (module
//   nodenext, target es2022, @types/node) as ES modules, cts as CommonJS,
//   and the JavaScript tsc emits is run.
// - Words after the language are attributes:
//     fragment   not run: a signature, or a piece of a larger program
//     node>=N    run only under Node N or later (skipped, and reported as
//                pending, under older versions): `using` declarations in
//                plain JavaScript need Node 24
//   Any other word fails the test (a misspelt marker must not silence a sample).
// - What a sample prints on stdout is the ```text block right after it
//   (nothing but blank lines between). No such block: it must print nothing.
//   In the expected output, `<number>` stands for a number and `<text>` for
//   any text within a line, and a line `...` for any number of lines.
// - A sample passes when it exits with status 0, writes nothing on stderr
//   (so an unhandled rejection or a warning fails it), and its stdout
//   matches. It runs in a fresh project directory that has a package.json
//   and node_modules/fringe (a link to this checkout), so `require('fringe')`
//   and `import ... from 'fringe'` resolve as they do for a user.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers/child');

const DOCS = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const LANGUAGES = { js: 'cjs', javascript: 'cjs', cjs: 'cjs', mjs: 'mjs', ts: 'mts', typescript: 'mts', mts: 'mts', cts: 'cts' };
const ATTRIBUTE = /^(fragment|node>=(\d+))$/;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The fenced blocks of a Markdown text: { lang, attributes, code, line, after }. */
function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let lastEnd = -2;
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j].trimStart().startsWith(fence) && lines[j].trim().replace(/[`~]/g, '') === '') break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    const between = lines.slice(lastEnd + 1, i);
    blocks.push({
      lang: lang.toLowerCase(),
      attributes: rest.trim() ? rest.trim().split(/\s+/) : [],
      code: body.join('\n') + '\n',
      line: i + 1,
      // Whether only blank lines separate it from the block before.
      adjacent: lastEnd >= 0 && between.every((l) => l.trim() === ''),
    });
    lastEnd = j;
    i = j;
  }
  return blocks;
}

/** The samples of a document: { doc, line, lang, kind, fragment, minNode, code, expected }. */
function samplesOf(doc, text) {
  const samples = [];
  const blocks = fencedBlocks(text);
  blocks.forEach((block, index) => {
    const kind = LANGUAGES[block.lang];
    if (kind === undefined) return;
    let fragment = false;
    let minNode = 0;
    for (const attribute of block.attributes) {
      const m = ATTRIBUTE.exec(attribute);
      if (!m) throw new Error(`${doc}:${block.line}: unknown sample attribute '${attribute}' (known: fragment, node>=N)`);
      if (m[1] === 'fragment') fragment = true;
      else minNode = Number(m[2]);
    }
    const next = blocks[index + 1];
    const expected = next && next.adjacent && next.lang === 'text' ? next.code : '';
    samples.push({ doc, line: block.line, lang: block.lang, kind, fragment, minNode, code: block.code, expected });
  });
  return samples;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Lines without trailing blanks, and without blank lines at the end. */
function normalize(text) {
  return text.split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '');
}

/** A RegExp for the whole of an expected output (see the conventions above). */
function outputPattern(expected) {
  const lines = normalize(expected).split('\n');
  if (lines.length === 1 && lines[0] === '') return /^$/;
  const parts = lines.map((line) => {
    if (line === '...') return '(?:[^\\n]*\\n)*?';
    const pattern = line
      .split(/(<number>|<text>)/)
      .map((piece) => (piece === '<number>' ? '-?\\d+(?:[.,]\\d+)*(?:e[+-]?\\d+)?' : piece === '<text>' ? '[^\\n]*' : escapeRegExp(piece)))
      .join('');
    return `${pattern}\\n`;
  });
  return new RegExp(`^${parts.join('')}$`);
}

function matches(expected, actual) {
  const text = normalize(actual);
  return outputPattern(expected).test(text === '' ? '' : `${text}\n`);
}

function fileName(sample) {
  return `${sample.doc.replace(/\W+/g, '-')}-${sample.line}.${sample.kind}`;
}

/** A directory like a user's project: a package.json, and fringe installed as a link to this checkout. */
function makeProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-docs-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'docs-samples', private: true, version: '1.0.0' }, null, 2) + '\n');
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'fringe'), 'dir');
  fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  return dir;
}

/** Type-checks and compiles the TypeScript samples at once; returns the error lines of each file. */
function compileTypeScript(project, files) {
  const errors = Object.fromEntries(files.map((file) => [file, []]));
  if (files.length === 0) return errors;
  const config = {
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      target: 'es2022',
      lib: ['es2022', 'esnext.disposable'],
      types: ['node'],
      outDir: 'out',
      rootDir: '.',
      skipLibCheck: true,
    },
    files,
  };
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(config, null, 2));
  const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: project,
    encoding: 'utf8',
  });
  const output = `${result.stdout}${result.stderr}`;
  let last = '*';
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    const m = /^([\w.-]+)\(\d+,\d+\): error/.exec(line);
    // An error's further lines are indented; anything else is tsc's own complaint.
    if (m) last = errors[m[1]] ? m[1] : '*';
    else if (!/^\s/.test(line)) last = '*';
    (errors[last] ??= []).push(line);
  }
  return errors;
}

function childEnv() {
  // The checkout's test switches stay out: a sample sees what a user's program sees
  // (FRINGE_ADDON_PATH stays: under other Node versions it names their build).
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(FRINGE_(TEST|FAULT)|NODE_OPTIONS$|NODE_PATH$)/.test(name)) delete env[name];
  }
  return env;
}

function runSample(project, file) {
  return spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 120000, env: childEnv(), maxBuffer: 16 * 1024 * 1024 });
}

function check(ok, message) {
  if (!ok) throw new assert.AssertionError({ message });
}

function explain(result) {
  return `status ${result.status}, signal ${result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

const samples = DOCS.flatMap((doc) => samplesOf(doc, fs.readFileSync(path.join(root, doc), 'utf8')));

describe('the samples in README.md and docs/*.md', function () {
  this.timeout(10 * 60 * 1000);
  let project;
  let tsErrors;

  before(() => {
    project = makeProject();
    for (const sample of samples) if (!sample.fragment) fs.writeFileSync(path.join(project, fileName(sample)), sample.code);
    const tsFiles = samples.filter((s) => !s.fragment && /ts$/.test(s.kind)).map(fileName);
    tsErrors = compileTypeScript(project, tsFiles);
  });
  after(() => {
    if (project) fs.rmSync(project, { recursive: true, force: true });
  });

  it('finds the samples of every document, and the checks can fail', () => {
    const runnable = samples.filter((s) => !s.fragment);
    assert.ok(runnable.length >= 16, `${runnable.length} runnable samples (fewer than there were)`);
    for (const doc of ['README.md', 'docs/API.md', 'docs/async.md', 'docs/failure-modes.md']) {
      assert.ok(runnable.some((s) => s.doc === doc), `a runnable sample in ${doc}`);
    }
    assert.ok(runnable.some((s) => /ts$/.test(s.kind)) && runnable.some((s) => s.kind === 'mjs'), 'TypeScript and ES module samples');
    assert.deepEqual(tsErrors['*'] ?? [], [], 'tsc reports nothing outside the samples');
    // The matcher is not vacuous.
    assert.ok(matches('[ 1, 2, 3 ]\n<number> bytes\n', '[ 1, 2, 3 ]\n1234 bytes\n'));
    assert.ok(!matches('[ 1, 2, 3 ]\n', '[ 1, 2 ]\n'));
    assert.ok(!matches('', 'something\n'));
    assert.ok(!matches('a\n', ''));
    assert.ok(matches('a\n...\nz\n', 'a\nb\nc\nz\n') && matches('a\n...\nz\n', 'a\nz\n') && !matches('a\n...\nz\n', 'a\nb\n'));
    assert.ok(!matches('<number> bytes\n', 'many bytes\n'));
    // So is the parser: output blocks, markers, a misspelt marker.
    const parsed = samplesOf('t.md', '```js\na\n```\n\n```text\nout\n```\n```ts fragment\nb\n```\ntext\n```text\nno\n```\n```mjs node>=99\nc\n```\n');
    assert.deepEqual(parsed.map((s) => [s.kind, s.fragment, s.minNode, s.code, s.expected]), [
      ['cjs', false, 0, 'a\n', 'out\n'],
      ['mts', true, 0, 'b\n', ''],
      ['mjs', false, 99, 'c\n', ''],
    ]);
    assert.throws(() => samplesOf('t.md', '```js fragmnet\nx\n```\n'), /unknown sample attribute 'fragmnet'/);
  });

  for (const sample of samples) {
    const title = `${sample.doc}:${sample.line} (${sample.lang}${sample.minNode ? `, node>=${sample.minNode}` : ''})`;
    if (sample.fragment) continue;
    it(title, function () {
      if (NODE_MAJOR < sample.minNode) this.skip();
      const file = fileName(sample);
      let run = file;
      if (/ts$/.test(sample.kind)) {
        check(tsErrors[file].length === 0, `tsc --strict fails on the sample at ${title}:\n${tsErrors[file].join('\n')}`);
        run = path.join('out', file.replace(/ts$/, 'js'));
      }
      const result = runSample(project, run);
      check(result.status === 0, `the sample at ${title} does not exit with 0\n${explain(result)}`);
      check(result.stderr === '', `the sample at ${title} writes on stderr\n${explain(result)}`);
      check(
        matches(sample.expected, result.stdout),
        `the sample at ${title} does not print what the document shows\n--- expected\n${sample.expected}--- printed\n${result.stdout}`,
      );
    });
  }
});

describe("docs/API.md's troubleshooting: the unsupportedReason texts it quotes", () => {
  it('are texts the addon gives today', () => {
    const api = fs.readFileSync(path.join(root, 'docs', 'API.md'), 'utf8');
    const start = api.indexOf('**`supported === false`**');
    const end = api.indexOf('**In CI**', start);
    assert.ok(start > 0 && end > start, 'the section is there');
    const quoted = [...api.slice(start, end).replace(/\s+/g, ' ').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(quoted.length >= 10, `${quoted.length} quoted texts`);
    // Every C++ source of the addon, wherever under native/ it lives (not the native tests).
    const native = path.join(root, 'native');
    const sources = fs
      .readdirSync(native, { recursive: true })
      .filter((f) => /\.(cc|h|hpp)$/.test(f) && !f.startsWith(`test${path.sep}`))
      .map((f) => fs.readFileSync(path.join(native, f), 'utf8'))
      .join('\n');
    // The literal pieces between placeholders (<symbols>, ...) must be in a string of the addon.
    const missing = quoted.flatMap((text) =>
      text
        .split(/\.\.\.|<[^>]+>/)
        .map((piece) => piece.trim())
        .filter((piece) => piece.length >= 5 && !sources.includes(piece))
        .map((piece) => `"${piece}" (of "${text}")`),
    );
    assert.deepEqual(missing, []);
  });
});
