'use strict';
// The programs in examples/, each run in a child process as a user would
// (`node examples/<name>.js`), with their output checked.

const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers/child');
const { slower, scaled } = require('./helpers/emulation');

/**
 * Runs an example; resolves with { code, stdout, stderr } (the event loop
 * stays free meanwhile). The root may hold CI's node caches: walk.js prints
 * a line per directory, megabytes of them.
 */
function example(name, args = []) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'examples', name), ...args], { cwd: root, timeout: slower(60000), maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, signal: error?.signal, stdout, stderr });
    });
  });
}

function explain(result) {
  return `exit ${result.code}${result.signal ? ' ' + result.signal : ''}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

describe('examples/walk.js', () => {
  let dir;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-walk-'));
    fs.mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.writeFileSync(path.join(dir, 'top.txt'), 'x'.repeat(10));
    fs.writeFileSync(path.join(dir, 'a', 'one.bin'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(dir, 'a', 'b', 'two.txt'), 'y'.repeat(200));
    fs.writeFileSync(path.join(dir, 'a', 'b', 'c', 'three.txt'), 'z'.repeat(3));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints each directory\'s total after its contents, then a summary', async () => {
    const result = await example('walk.js', [dir]);
    assert.equal(result.code, 0, explain(result));
    const row = (bytes, name) => `${String(bytes).padStart(12)}  ${name}`;
    assert.deepEqual(result.stdout.trimEnd().split('\n'), [
      row(3, path.join('a', 'b', 'c')),
      row(203, path.join('a', 'b')),
      row(1203, 'a'),
      row(0, 'empty'),
      row(1213, '.'),
      `4 files, 5 directories, 1213 bytes in ${dir}`,
    ]);
  });

  it('walks the package\'s root by default', async () => {
    const result = await example('walk.js');
    assert.equal(result.code, 0, explain(result));
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines.at(-1), new RegExp(`^\\d+ files, \\d+ directories, \\d+ bytes in ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    assert.ok(lines.some((l) => / {2}examples$/.test(l)), 'lists examples/');
  });

  it('reports a directory that does not exist and exits with 1', async () => {
    const result = await example('walk.js', [path.join(dir, 'nowhere')]);
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /ENOENT/);
  });
});

describe('examples/fetch.js', () => {
  it('crawls a site of its own on 127.0.0.1 when given no URL', async () => {
    const result = await example('fetch.js');
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(result.stdout.trimEnd().split('\n'), [
      '200 / "Home" (100 bytes)',
      '  200 /guide "Guide" (131 bytes)',
      '    200 /guide/install "Installing" (54 bytes)',
      '    200 /guide/first-run "A first run()" (97 bytes)',
      '      200 /api "API" (85 bytes)',
      '        200 /api/run "run(fn)" (57 bytes)',
      '          200 /api/wait "wait(value)" (91 bytes)',
      '            404 /missing "Not found" (24 bytes)',
      '  200 /about "About" (22 bytes)',
      '9 pages fetched',
    ]);
  });

  it('fetches the URLs it is given', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/json' ? 200 : 404, { 'content-type': req.url === '/json' ? 'application/json' : 'text/plain' });
      res.end(req.url === '/json' ? '{"ok":true}' : 'no');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}`;
    try {
      const result = await example('fetch.js', [`${base}/json`, `${base}/other`]);
      assert.equal(result.code, 0, explain(result));
      assert.deepEqual(result.stdout.trimEnd().split('\n'), [
        `200 ${base}/json application/json (11 bytes)`,
        `404 ${base}/other text/plain (2 bytes)`,
      ]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('examples/pull-parser.js', () => {
  it('parses and evaluates its built-in program, streamed in small chunks', async () => {
    const result = await example('pull-parser.js');
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(result.stdout.trimEnd().split('\n'), ['1: 7', '2: 9', '3: 2', '4: 49.5', '5: 301', '6: 84', '6 statements']);
  });

  it('parses a file, and reports a syntax error with its line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-parse-'));
    try {
      const good = path.join(dir, 'good.txt');
      fs.writeFileSync(good, '1 + 1;\n\n  (2 +\n 3) * 4 ;\n');
      let result = await example('pull-parser.js', [good]);
      assert.equal(result.code, 0, explain(result));
      assert.deepEqual(result.stdout.trimEnd().split('\n'), ['1: 2', '3: 20', '2 statements']);

      const bad = path.join(dir, 'bad.txt');
      fs.writeFileSync(bad, '1 + 1;\n2 * (3;\n');
      result = await example('pull-parser.js', [bad]);
      assert.equal(result.code, 1, explain(result));
      assert.deepEqual(result.stdout.trimEnd().split('\n'), ['1: 2']);
      assert.equal(result.stderr.trim(), "line 2: expected ')', got ;");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('examples/line-server.js', () => {
  it('serves clients that all stay connected at once, each handler waiting in readLine(), every answer right', async () => {
    const clients = scaled(2000, 100);
    const result = await example('line-server.js', ['--clients', String(clients)]);
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(result.stdout.trimEnd().split('\n'), [
      `${clients} connections open at once, ${clients} handlers waiting in readLine(), ${clients} generators suspended`,
      `${clients * 3} lines answered, 0 wrong`,
    ]);
  });

  it('does the same with its handler written with async/await (--handler async), and --stats adds a line of JSON', async () => {
    const clients = scaled(500, 50);
    const result = await example('line-server.js', ['--clients', String(clients), '--handler', 'async', '--stats']);
    assert.equal(result.code, 0, explain(result));
    const lines = result.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 2), [
      `${clients} connections open at once, ${clients} handlers waiting in readLine()`,
      `${clients * 3} lines answered, 0 wrong`,
    ]);
    const stats = JSON.parse(lines[2]);
    assert.deepEqual(Object.keys(stats), ['ms', 'rssPerConnectionKiB']);
    assert.ok(stats.ms > 0, lines[2]);
  });

  it('with --port, serves a client of its own: running totals, errors for bad lines, the end at "quit"', async () => {
    const server = spawn(process.execPath, [path.join(root, 'examples', 'line-server.js'), '--port', '0'], { cwd: root });
    try {
      let stderr = '';
      server.stderr.on('data', (data) => (stderr += data));
      const port = await new Promise((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (data) => {
          out += data;
          const found = /serving on 127\.0\.0\.1:(\d+)\n/.exec(out);
          if (found) resolve(Number(found[1]));
        });
        server.on('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
      });
      // All lines at once: the handler reads them one by one from the chunks.
      const replies = await new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('add 2\nadd 3.5\nfoo bar\nadd x\nquit\nadd 1\n'));
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => (data += chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(data));
      });
      assert.equal(replies, '2\n5.5\nerror: "foo bar"\nerror: "add x"\n');
      assert.equal(stderr, '');
    } finally {
      server.kill();
    }
  });
});
