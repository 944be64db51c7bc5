'use strict';
// The process around generators, each case in a child process: exiting from
// inside a body, uncaught exceptions that leave a generator resumed by a
// timer (compared with the same program using plain functions), and native
// recursion (JSON.stringify) that overflows a generator's stack.

const assert = require('node:assert/strict');
const { describe: explain } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');
const { slower } = require('./helpers/emulation');

const scripts = {
  // process.exit(7) four generators deep (outer resumes inner, which has
  // suspended and been resumed once), 50 frames down, with other generators
  // suspended: exit code 7, 'exit' handlers run (and can run generators),
  // nothing after the call runs, no finally block of a suspended generator.
  exitDeep: `
    const { Generator, suspend } = require(process.env.FRINGE_ROOT);
    process.on('exit', (code) => {
      const g = new Generator(() => { suspend('in exit'); return 'handler done'; });
      console.log('exit handler', code, g.resume(), g.resume());
    });
    process.on('beforeExit', () => console.log('beforeExit must not run on process.exit()'));
    const parked = [];
    for (let i = 0; i < 100; i++) {
      const g = new Generator(() => { try { suspend(i); } finally { console.log('finally of a suspended generator'); } });
      g.resume();
      parked.push(g);
    }
    function down(n) { if (n === 0) process.exit(7); return down(n - 1) + 1; }
    const level = (depth) => new Generator(() => {
      if (depth === 0) { suspend('bottom'); down(50); }
      const inner = level(depth - 1);
      inner.resume();
      inner.resume();
      console.log('not reached', depth);
    });
    level(3).resume();
    console.log('not reached either');
  `,
  // The same exit from plain functions: what the generator case must match.
  exitDeepBaseline: `
    process.on('exit', (code) => console.log('exit handler', code, 'in exit', 'handler done'));
    process.on('beforeExit', () => console.log('beforeExit must not run on process.exit()'));
    function down(n) { if (n === 0) process.exit(7); return down(n - 1) + 1; }
    const level = (depth) => () => { if (depth === 0) down(50); level(depth - 1)(); console.log('not reached', depth); };
    level(3)();
    console.log('not reached either');
  `,
  // process.exitCode set inside a body, then a normal end.
  exitCode: `
    const { Generator, suspend } = require(process.env.FRINGE_ROOT);
    process.on('exit', (code) => console.log('exit handler', code));
    const g = new Generator(() => { process.exitCode = 9; suspend(); });
    g.resume();
  `,
};

// An exception thrown in a body resumed by a timer callback, and the same
// program with a plain function. `handler`: with process.on('uncaughtException').
function uncaught({ generator, handler, value }) {
  return `
    const { Generator, suspend } = require(process.env.FRINGE_ROOT);
    function thrower() { globalThis.thrown = ${value}; throw globalThis.thrown; }
    ${handler ? `
    process.on('uncaughtException', (e, origin) => {
      console.log('handler', e === globalThis.thrown, origin, typeof e === 'object' ? e.message : e);
      ${generator ? `console.log('state', g.state);` : ''}
      // The process goes on: timers, and new generators.
      setImmediate(() => console.log('after', [...new Generator(() => { suspend(41); suspend(42); })].join()));
    });` : ''}
    ${generator ? `
    const g = new Generator(() => { suspend(); thrower(); });
    g.resume();
    setTimeout(() => g.resume(), 1);` : `
    setTimeout(() => thrower(), 1);`}
  `;
}
for (const generator of [true, false]) {
  for (const handler of [true, false]) {
    for (const [kind, value] of [['error', `new Error('boom')`], ['string', `'a string'`]]) {
      scripts[`uncaught ${kind}${generator ? '' : ' baseline'}${handler ? ' handler' : ''}`] = uncaught({ generator, handler, value });
    }
  }
}

// JSON.stringify of a 1e6-deep array and object recurses in C++ until V8's
// stack check throws RangeError -- on the generator's stack, also on the
// smallest one allowed. The generator goes on and so does the process.
// With a replacer function (`keep`), as here, every V8 recurses; without
// one, V8 14 (Node 26) serializes plain nested arrays and objects without
// recursing and succeeds: a body must then get exactly what the main stack
// gets, which the last two entries compare.
function deepJson(stack) {
  return `
    const { Generator, suspend, MINIMUM_STACK_SIZE } = require(process.env.FRINGE_ROOT);
    let array = [];
    for (let i = 0; i < 1e6; i++) array = [array];
    let object = {};
    for (let i = 0; i < 1e6; i++) object = { a: object };
    const describe = (f) => { try { return 'no error: ' + typeof f(); } catch (e) { return (e instanceof RangeError) + ' ' + e.constructor.name + ': ' + e.message; } };
    const keep = (key, value) => value;
    const g = new Generator((y) => {
      y.suspend(describe(() => JSON.stringify(array, keep)));
      y.suspend(describe(() => JSON.stringify(object, keep)));
      // Deep again, from a nested call, after a suspension.
      const nested = (n) => (n === 0 ? describe(() => JSON.stringify({ list: [array] }, keep)) : nested(n - 1));
      y.suspend(nested(100));
      return JSON.stringify({ fine: [1, [2]] });
    }, ${stack});
    const out = [g.resume(), g.resume(), g.resume(), g.resume(), g.state];
    out.push(new Generator(() => JSON.stringify([suspend('again')]), ${stack}).resume());
    out.push(describe(() => JSON.stringify(array, keep)));  // on the main stack, for comparison
    // Without a replacer: the same outcome in a body as on the main stack.
    out.push(new Generator(() => describe(() => JSON.stringify(object)), ${stack}).resume() === describe(() => JSON.stringify(object)));
    console.log(JSON.stringify(out));
  `;
}
scripts.deepJsonDefault = deepJson('undefined');
scripts.deepJsonMinimum = deepJson('MINIMUM_STACK_SIZE');

describe('the process around generators', function () {
  this.timeout(slower(5 * 60 * 1000));
  const results = {};
  before(async () => {
    const names = Object.keys(scripts);
    const done = await inParallel(names.map((name) => () => spawnNode(['-e', scripts[name]], { timeout: 120000 })));
    names.forEach((name, i) => (results[name] = done[i]));
  });

  describe('process.exit() inside a body', () => {
    it('exits with its code from four generators and 50 frames deep, running exit handlers, as plain functions do', () => {
      const result = results.exitDeep;
      const baseline = results.exitDeepBaseline;
      assert.equal(baseline.status, 7, explain(baseline));
      assert.equal(result.status, 7, explain(result));
      assert.equal(result.signal, null);
      assert.equal(result.stdout, 'exit handler 7 in exit handler done\n');
      assert.equal(result.stdout, baseline.stdout);
      assert.equal(result.stderr, '');
    });

    it('process.exitCode set in a body is the exit code', () => {
      const result = results.exitCode;
      assert.equal(result.status, 9, explain(result));
      assert.equal(result.stdout, 'exit handler 9\n');
    });
  });

  describe('an uncaught exception from a body resumed by a timer', () => {
    for (const kind of ['error', 'string']) {
      it(`reaches process.on('uncaughtException') as the same ${kind === 'error' ? 'Error object' : 'thrown string'}; the process goes on`, () => {
        const result = results[`uncaught ${kind} handler`];
        const baseline = results[`uncaught ${kind} baseline handler`];
        const message = kind === 'error' ? 'boom' : 'a string';
        assert.equal(baseline.status, 0, explain(baseline));
        assert.equal(baseline.stdout, `handler true uncaughtException ${message}\nafter 41,42\n`);
        assert.equal(result.status, 0, explain(result));
        assert.equal(result.stdout, `handler true uncaughtException ${message}\nstate done\nafter 41,42\n`);
      });

      it(`without a handler, exits with code 1 and prints the ${kind === 'error' ? 'stack' : 'value'} as for a plain function`, () => {
        const result = results[`uncaught ${kind}`];
        const baseline = results[`uncaught ${kind} baseline`];
        assert.equal(baseline.status, 1, explain(baseline));
        assert.equal(result.status, 1, explain(result));
        assert.equal(result.signal, null);
        // Node prints "<file>:<line>", the source line and a caret, then the
        // error. The first three lines differ: they show where the exception
        // was last thrown, which for a generator is the resume() in fringe's
        // lib that rethrows it (as for any catch-and-rethrow), not the body.
        const report = (r) => r.stderr.replace(/^\n/, '').split('\n');  // a thrown non-Error starts with a blank line
        const [generated, plain] = [report(result), report(baseline)];
        assert.match(generated[0], /generator\.js:\d+$/);
        assert.match(generated[2], /^\s*\^+$/);
        assert.match(plain[2], /^\s*\^+$/);
        if (kind === 'error') {
          // The same error line, and the stack of the body's own frames.
          assert.equal(generated[4], 'Error: boom');
          assert.equal(plain[4], 'Error: boom');
          assert.match(generated[5], /^ {4}at thrower \(\[eval\]:3:/);
          assert.equal(generated[5], plain[5]);
        } else {
          assert.deepEqual(generated.slice(3), plain.slice(3));
        }
        assert.equal(generated.at(-2), `Node.js ${process.version}`);
        assert.equal(plain.at(-2), `Node.js ${process.version}`);
      });
    }
  });

  describe('JSON.stringify of a 1e6-deep structure inside a body', () => {
    for (const [name, which] of [['deepJsonDefault', 'the default stack'], ['deepJsonMinimum', 'the smallest stack allowed']]) {
      it(`throws RangeError on ${which}; the generator and the process stay usable`, () => {
        const result = results[name];
        assert.equal(result.status, 0, explain(result));
        const overflow = 'true RangeError: Maximum call stack size exceeded';
        assert.deepEqual(JSON.parse(result.stdout), [
          overflow, overflow, overflow, '{"fine":[1,[2]]}', 'done', 'again', overflow, true,
        ]);
      });
    }
  });
});
