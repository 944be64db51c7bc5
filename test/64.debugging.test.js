'use strict';
// Debugging and introspection (issue 16): errors whose stacks go on across
// resumes, long stack traces, Generator#stackTrace(), report(), util.inspect
// and the inspector's async call stacks. What may crash the process, or
// needs flags, a signal or a clean heap, runs in a child
// (test/fixtures/debugging.js, test/fixtures/inspector.js).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { createHook } = require('node:async_hooks');
const fringe = require('..');
const { Generator, suspend, current, report, run, wait, OsStack, MINIMUM_STACK_SIZE, DEFAULT_STACK_SIZE } = fringe;
const { binding } = require('../dist/binding');
const { describe: explain, root } = require('./helpers/child');
const { spawnNode, inParallel } = require('./helpers/parallel');
const { expectCode } = require('./helpers/errors');

const RESUMED = '    at <resumed> (fringe)';
const here = __filename;
const sourceLines = fs.readFileSync(here, 'utf8').split('\n');
/** The 1-based line of the comment `MARK:<name>` in this file. */
function lineOf(name) {
  const index = sourceLines.findIndex((line) => line.trimEnd().endsWith(`// MARK:${name}`));
  assert.ok(index >= 0, `no marker ${name}`);
  return index + 1;
}
/** The frame lines of a stack (RESUMED lines included), without the header. */
const frameLines = (stack) => stack.split('\n').filter((line) => line.startsWith('    at '));
/** The function names of a stack's frames, RESUMED shown as '|'. */
function names(stack) {
  return frameLines(stack).map((line) => (line === RESUMED ? '|' : /^ {4}at (?:new )?(\S+)/.exec(line)[1]));
}
/** Stack lines that point into fringe's own files. */
const ownLines = (stack) => stack.split('\n').filter((line) => line.includes(path.join(root, 'dist') + path.sep));

/** The error a call throws. */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('did not throw');
}

// --- Bodies and resumers, named so that stacks can be read by name -------

function failing() {
  throw new Error('boom'); // MARK:failing
}
function failingBody() {
  suspend(1);
  failing();
}
function resumeFirst(g) {
  return g.next();
}
function resumeAgain(g) {
  return g.next(); // MARK:resumeAgain
}

describe('an error that leaves a body through a resume', () => {
  it('shows the body\'s frames, then "at <resumed> (fringe)", then the frames of the code that resumed it', () => {
    const g = new Generator(failingBody);
    resumeFirst(g);
    const e = thrown(() => resumeAgain(g));
    const stack = e.stack;
    assert.match(stack, /^Error: boom\n/);
    assert.deepEqual(names(stack).slice(0, 4), ['failing', 'failingBody', '|', 'resumeAgain']);
    assert.ok(stack.includes(`${here}:${lineOf('failing')}:`), stack);
    assert.ok(stack.includes(`${here}:${lineOf('resumeAgain')}:`), stack);
    // Neither fiberMain nor fringe's resume path: only the separator.
    assert.deepEqual(ownLines(stack), []);
    assert.equal(stack.split(RESUMED).length, 2);
  });

  for (const [method, drive] of [
    ['resume()', (g) => g.resume()],
    ['throw()', (g) => g.throw(new Error('in'))],
    ['return()', (g) => g.return(0)],
  ]) {
    it(`does so through ${method} as well`, () => {
      const g = new Generator(function bodyOf() {
        try {
          suspend();
        } finally {
          // Thrown while the resume's input (a value, an exception, the
          // GeneratorReturn of return()) is being handled.
          throw new TypeError('from finally'); // eslint-disable-line no-unsafe-finally
        }
      });
      g.next();
      const e = thrown(function resumer() {
        drive(g);
      });
      assert.equal(e.message, 'from finally');
      // Then the arrow function that called the method, then its caller.
      assert.deepEqual(names(e.stack).slice(0, 2), ['bodyOf', '|']);
      assert.equal(names(e.stack)[3], 'resumer');
    });
  }

  it('shows each hop once when it crosses nested generators, innermost first', () => {
    const g3 = new Generator(function body3() {
      suspend();
      failing();
    });
    const g2 = new Generator(function body2() {
      g3.next();
      suspend();
      g3.next();
    });
    const g1 = new Generator(function body1() {
      g2.next();
      suspend();
      (function resume2() {
        g2.next();
      })();
    });
    g1.next();
    const e = thrown(function resume1() {
      g1.next();
    });
    assert.deepEqual(names(e.stack).slice(0, 8), ['failing', 'body3', '|', 'body2', '|', 'resume2', 'body1', '|']);
    assert.equal(names(e.stack)[8], 'resume1');
    assert.deepEqual(ownLines(e.stack), []);
  });

  it('goes through run()\'s promise, with the caller of run() before the first wait()', async () => {
    let promise;
    (function callsRun() {
      promise = run(function runBody() {
        failing();
      });
    })();
    const e = await promise.catch((reason) => reason);
    assert.deepEqual(names(e.stack).slice(0, 4), ['failing', 'runBody', '|', 'callsRun']);
    // After a wait(), a promise reaction resumed fn: its frames follow.
    const later = await run(function waitsFirst() {
      wait(Promise.resolve());
      failing();
    }).catch((reason) => reason);
    assert.deepEqual(names(later.stack).slice(0, 3), ['failing', 'waitsFirst', '|']);
    assert.deepEqual(ownLines(later.stack), []);
  });

  it('leaves alone values that are not errors, frozen errors, and errors made outside the body', () => {
    const object = { stack: 'not a stack' };
    const g1 = new Generator(() => {
      throw object;
    });
    assert.equal(thrown(() => g1.next()), object);
    assert.deepEqual(object, { stack: 'not a stack' });
    assert.equal(thrown(() => new Generator(() => {
      throw 'a string'; // eslint-disable-line no-throw-literal
    }).next()), 'a string');

    let frozenStack;
    const g2 = new Generator(() => {
      const e = new Error('frozen');
      frozenStack = e.stack;
      throw Object.freeze(e);
    });
    const frozen = thrown(() => g2.next());
    assert.equal(frozen.stack, frozenStack);
    assert.ok(!frozen.stack.includes(RESUMED));

    // Made by the resumer and thrown in with throw(): its stack is the resumer's already.
    const outside = new Error('outside');
    const before = outside.stack;
    const g3 = new Generator(() => suspend());
    g3.next();
    assert.equal(thrown(() => g3.throw(outside)), outside);
    assert.equal(outside.stack, before);
  });

  it('does not extend an error again when it crosses a second time after leaving the bodies', () => {
    const g = new Generator(failingBody);
    g.next();
    const e = thrown(() => g.next());
    const once = e.stack;
    const h = new Generator(() => suspend());
    h.next();
    assert.equal(thrown(() => h.throw(e)), e);
    assert.equal(e.stack, once);
  });

  it('keeps to Error.stackTraceLimit: the frames of both sides together, as V8 counts async frames', () => {
    const saved = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 4;
      const g = new Generator(failingBody);
      g.next();
      const e = thrown(function resumer() {
        g.next();
      });
      // failing, failingBody, fiberMain captured (3 of 4): fiberMain gives way to the separator.
      assert.deepEqual(names(e.stack), ['failing', 'failingBody', '|', 'resumer', 'thrown']);
      Error.stackTraceLimit = 2;
      const h = new Generator(failingBody);
      h.next();
      // Cut short inside the body: no room for the resumer, nothing added.
      assert.deepEqual(names(thrown(() => h.next()).stack), ['failing', 'failingBody']);
      Error.stackTraceLimit = 0;
      const k = new Generator(failingBody);
      k.next();
      assert.deepEqual(names(thrown(() => k.next()).stack), []);
    } finally {
      Error.stackTraceLimit = saved;
    }
  });
});

describe('Generator.longStackTraces', () => {
  afterEach(() => {
    Generator.longStackTraces = false;
  });

  it('is off by default, and then a stack made in a body ends at the body', () => {
    assert.equal(Generator.longStackTraces, false);
    const g = new Generator(() => new Error('inside').stack);
    const stack = (function resumer() {
      return g.next().value;
    })();
    assert.ok(!stack.includes(RESUMED), stack);
    assert.ok(!stack.includes('resumer'), stack);
  });

  it('when on, shows in a stack made in a body every resume up to the main stack', () => {
    Generator.longStackTraces = true;
    assert.equal(Generator.longStackTraces, true);
    const g2 = new Generator(function body2() {
      suspend();
      return new Error('inside').stack;
    });
    const g1 = new Generator(function body1() {
      g2.next();
      suspend();
      return (function resume2() {
        return g2.next().value;
      })();
    });
    g1.next();
    const stack = (function resume1() {
      return g1.next().value;
    })();
    assert.deepEqual(names(stack).slice(0, 6), ['body2', '|', 'resume2', 'body1', '|', 'resume1']);
    assert.deepEqual(ownLines(stack), []);
    // The resumes that count are the latest ones: g2 was first resumed from body1's first line.
    assert.equal(stack.split(RESUMED).length, 3);
  });

  it('composes with errors that cross: each hop once', () => {
    Generator.longStackTraces = true;
    const g = new Generator(failingBody);
    g.next();
    const e = thrown(function resumer() {
      g.next();
    });
    assert.deepEqual(names(e.stack).slice(0, 4), ['failing', 'failingBody', '|', 'resumer']);
    assert.equal(e.stack.split(RESUMED).length, 2);
  });

  it('installs its Error.prepareStackTrace around the one it found, and puts that back when turned off', () => {
    const before = Error.prepareStackTrace;
    Generator.longStackTraces = true;
    assert.notEqual(Error.prepareStackTrace, before);
    Generator.longStackTraces = false;
    assert.equal(Error.prepareStackTrace, before);
  });

  it('takes only booleans', () => {
    expectCode(() => (Generator.longStackTraces = 1), 'ERR_INVALID_ARG_TYPE', /Expected longStackTraces to be a boolean, got number \(1\)/);
    assert.equal(Generator.longStackTraces, false);
  });
});

function stopsDeep(yielder, n) {
  if (n > 0) return stopsDeep(yielder, n - 1) + 1;
  return yielder.suspend('deep'); // MARK:stopsDeep
}

describe('Generator#stackTrace()', () => {
  it('returns where a suspended body stopped: its frames, innermost first, with the line', () => {
    const g = new Generator(function tracedBody(yielder) {
      stopsDeep(yielder, 2);
      return 'end';
    });
    g.next();
    const trace = g.stackTrace();
    assert.equal(typeof trace, 'string');
    // fringe's suspend first: where the body is waiting.
    assert.deepEqual(names(trace), ['suspend', 'stopsDeep', 'stopsDeep', 'stopsDeep', 'tracedBody']);
    assert.ok(trace.split('\n')[1].includes(`${here}:${lineOf('stopsDeep')}:`), trace);
    assert.ok(!trace.includes('fiberMain'), trace);
    // Unchanged: it resumes where it was.
    assert.equal(g.state, 'suspended');
    assert.equal(g.stackTrace(), trace);
    assert.deepEqual(g.next(), { value: 'end', done: true });
  });

  it('runs no JavaScript: no prepareStackTrace, no async hooks, no getters', () => {
    const g = new Generator(function quietBody() {
      suspend();
      return current();
    });
    g.next();
    const seen = [];
    const hook = createHook({ before: (id) => seen.push(['before', id]), after: (id) => seen.push(['after', id]) }).enable();
    const saved = Error.prepareStackTrace;
    Error.prepareStackTrace = () => {
      seen.push('prepareStackTrace');
      return 'formatted';
    };
    let trace;
    try {
      trace = g.stackTrace();
    } finally {
      Error.prepareStackTrace = saved;
      hook.disable();
    }
    assert.deepEqual(seen, []);
    assert.deepEqual(names(trace), ['suspend', 'quietBody']);
    assert.equal(g.next().value, g);
  });

  it('says so for a generator that has not started, is running or is done', () => {
    const g = new Generator(() => current().stackTrace());
    assert.match(g.stackTrace(), /^\(the generator has not started/);
    const { value } = g.next();
    assert.match(value, /^\(the generator is running/);
    assert.match(g.stackTrace(), /^\(the generator is done/);
  });

  it('works on the generator of a run() waiting in wait(), from outside it', async () => {
    let inside;
    let release;
    const promise = run(function waitingFn() {
      inside = current();
      return wait(new Promise((resolve) => (release = resolve))) + 1;
    });
    assert.deepEqual(names(inside.stackTrace()).slice(0, 2), ['wait', 'waitingFn']);
    release(1);
    assert.equal(await promise, 2);
  });

  it('keeps to Error.stackTraceLimit', () => {
    const saved = Error.stackTraceLimit;
    const g = new Generator((yielder) => stopsDeep(yielder, 20));
    g.next();
    try {
      Error.stackTraceLimit = 3;
      assert.equal(frameLines(g.stackTrace()).length, 3);
      Error.stackTraceLimit = 100;
      assert.equal(frameLines(g.stackTrace()).length, 23); // suspend, 21 x stopsDeep, the arrow body
    } finally {
      Error.stackTraceLimit = saved;
    }
    g.return();
  });

  it('works on generators suspended on an OsStack and on small stacks, and inside another body', () => {
    const small = new Generator(function smallBody() {
      suspend();
    }, MINIMUM_STACK_SIZE);
    const own = new Generator(function ownBody() {
      suspend();
    }, new OsStack(MINIMUM_STACK_SIZE));
    small.next();
    own.next();
    const outer = new Generator(() => [small.stackTrace(), own.stackTrace()]);
    const [a, b] = outer.next().value;
    assert.deepEqual(names(a), ['suspend', 'smallBody']);
    assert.deepEqual(names(b), ['suspend', 'ownBody']);
    small.return();
    own.return();
  });
});

describe('report()', () => {
  it('counts the live generators of this thread by state, and their stacks', () => {
    const base = report();
    const suspended = [];
    for (let i = 0; i < 3; i++) {
      const g = new Generator(function countedBody() {
        suspend();
      });
      g.next();
      suspended.push(g);
    }
    const fresh = new Generator(() => 0, MINIMUM_STACK_SIZE);
    let inside;
    const outer = new Generator(() => {
      inside = report({ stacks: true });
    });
    outer.next();
    const after = report();
    assert.equal(after.live, base.live + 4);
    assert.equal(after.suspended, base.suspended + 4);
    assert.equal(after.running, 0);
    assert.equal(after.pooled, binding.stats().pooledStacks);
    // The new generators may have taken stacks from the pool: at least theirs.
    assert.ok(after.stackBytesMapped >= 3 * DEFAULT_STACK_SIZE + MINIMUM_STACK_SIZE);
    assert.equal(after.stackBytesMapped % binding.pageSize, 0);
    assert.ok(after.stackBytesTouched > 0 && after.stackBytesTouched <= after.stackBytesMapped);
    assert.deepEqual(Object.keys(after), ['live', 'suspended', 'running', 'pooled', 'stackBytesMapped', 'stackBytesTouched']);
    assert.equal(Object.getPrototypeOf(after), Object.prototype);

    // From inside a body: it is running, and the others are described.
    assert.equal(inside.running, 1);
    assert.equal(inside.generators.length, inside.live);
    const entries = inside.generators;
    assert.equal(entries.filter((e) => e.state === 'running').length, 1);
    assert.match(entries.find((e) => e.state === 'running').stackTrace, /^\(the generator is running/);
    const counted = entries.filter((e) => e.stackTrace.includes('countedBody'));
    assert.equal(counted.length, 3);
    for (const e of counted) {
      assert.equal(e.state, 'suspended');
      assert.equal(e.stackSize, DEFAULT_STACK_SIZE);
      assert.deepEqual(names(e.stackTrace), ['suspend', 'countedBody']);
    }
    const notStarted = entries.filter((e) => e.stackTrace.startsWith('(the generator has not started'));
    assert.ok(notStarted.some((e) => e.stackSize === MINIMUM_STACK_SIZE));
    for (const g of suspended) g.return();
    fresh.return();
    assert.equal(report().live, base.live);
  });

  it('checks its options', () => {
    expectCode(() => report(1), 'ERR_INVALID_ARG_TYPE', /Expected options to be an object, got number \(1\)/);
    expectCode(() => report(null), 'ERR_INVALID_ARG_TYPE', /Expected options to be an object, got null/);
    expectCode(() => report({ stacks: 'yes' }), 'ERR_INVALID_ARG_TYPE', /Expected options.stacks to be a boolean/);
    assert.equal(report({}).generators, undefined);
    assert.equal(report({ stacks: false }).generators, undefined);
  });
});

describe('util.inspect() of a Generator', () => {
  it('shows its state and stack size', () => {
    const g = new Generator(() => suspend(), MINIMUM_STACK_SIZE);
    assert.equal(util.inspect(g), `Generator { state: 'suspended', stack: ${MINIMUM_STACK_SIZE} }`);
    const running = new Generator(() => util.inspect(current()));
    assert.equal(running.next().value, `Generator { state: 'running', stack: ${DEFAULT_STACK_SIZE} }`);
    assert.equal(util.inspect(running), `Generator { state: 'done', stack: ${DEFAULT_STACK_SIZE} }`);
    assert.equal(util.inspect([g], { colors: true }), `[ Generator { state: \u001b[32m'suspended'\u001b[39m, stack: \u001b[33m${MINIMUM_STACK_SIZE}\u001b[39m } ]`);
    g.return();
  });
});

// --- In child processes ----------------------------------------------------

const fixture = path.join(__dirname, 'fixtures', 'debugging.js');
const inspectorFixture = path.join(__dirname, 'fixtures', 'inspector.js');
let sourceMapDir;
const runs = {
  uncaught: { args: [fixture, 'uncaught'] },
  'uncaught long': { args: [fixture, 'uncaught'], env: { FRINGE_LONG_STACK_TRACES: '1' } },
  'long env': { args: [fixture, 'long-env'], env: { FRINGE_LONG_STACK_TRACES: '1' } },
  signal: { args: [fixture, 'signal', '10000'] },
  'capture stress': { args: ['--expose-gc', '--stress-scavenge=10', fixture, 'capture-stress'] },
  'source maps': { args: () => ['--enable-source-maps', path.join(sourceMapDir, 'mapped.js')] },
  'source maps long': { args: () => ['--enable-source-maps', path.join(sourceMapDir, 'mapped.js')], env: { FRINGE_LONG_STACK_TRACES: '1' } },
  'inspector async': { args: [inspectorFixture, 'async-stack'] },
};

describe('in child processes', function () {
  this.timeout(10 * 60 * 1000);
  const results = {};
  before(async () => {
    // A TypeScript body compiled with an inline source map: its lines differ from the output's.
    sourceMapDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fringe-maps-'));
    const ts = require('typescript');
    const source = fs.readFileSync(path.join(__dirname, 'fixtures', 'mapped.ts'), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
      fileName: path.join(sourceMapDir, 'mapped.ts'),
    });
    fs.writeFileSync(path.join(sourceMapDir, 'mapped.ts'), source);
    fs.writeFileSync(path.join(sourceMapDir, 'mapped.js'), outputText);
    const names = Object.keys(runs);
    const done = await inParallel(
      names.map((name) => () => {
        const { args, env } = runs[name];
        return spawnNode(typeof args === 'function' ? args() : args, { env, timeout: 300000 });
      }),
    );
    names.forEach((name, i) => (results[name] = done[i]));
  });
  after(() => {
    if (sourceMapDir) fs.rmSync(sourceMapDir, { recursive: true, force: true });
  });
  const json = (name) => {
    const result = results[name];
    assert.equal(result.status, 0, `${name}: ${explain(result)}`);
    return JSON.parse(result.stdout.trim().split('\n').pop());
  };

  for (const name of ['uncaught', 'uncaught long']) {
    it(`an uncaught error three resumes deep prints all three hops in the crash output (${name})`, () => {
      const result = results[name];
      assert.equal(result.status, 1, explain(result));
      const stack = result.stderr.slice(result.stderr.indexOf('Error: three deep'));
      assert.deepEqual(names(stack).slice(0, 9), ['thrower', 'innermost', '|', 'middle', '|', 'outer', '|', 'resumeOuter', 'Object.uncaught']);
    });
  }

  it('FRINGE_LONG_STACK_TRACES=1 turns long stack traces on at load', () => {
    const out = json('long env');
    assert.equal(out.on, true);
    assert.deepEqual(out.names.slice(0, 3), ['body', '|', 'resumer']);
    assert.deepEqual(out.frozenNames.slice(0, 3), ['frozenBody', '|', 'frozenResumer']);
  });

  it('report() from a SIGUSR2 handler with 10 000 suspended generators', () => {
    const out = json('signal');
    assert.equal(out.counts.live, 10000);
    assert.equal(out.counts.suspended, 10000);
    assert.equal(out.counts.running, 0);
    assert.equal(out.counts.stackBytesMapped >= 10000 * out.stackSize, true);
    assert.ok(out.counts.stackBytesTouched > 0 && out.counts.stackBytesTouched < out.counts.stackBytesMapped);
    assert.equal(out.entries, 10000);
    assert.equal(out.withBody, 10000);
    assert.equal(out.stoppedAt, out.expectedLine);
    assert.deepEqual(out.resumedAfter, [10000, 10000]);
    assert.ok(out.ms >= 0);
  });

  it('stackTrace() and report() under GC stress, interleaved with resumes, leave every generator intact', () => {
    const out = json('capture stress');
    assert.equal(out.checked, out.expected);
    assert.deepEqual(out.results, out.expectedResults);
  });

  it('with --enable-source-maps, every frame is mapped: the crossing error, stackTrace(), report()', () => {
    const out = json('source maps');
    const ts = path.join(sourceMapDir, 'mapped.ts');
    assert.deepEqual(out.crossing.slice(0, 4), [`mappedThrow ${ts}:${out.lines.throw}`, `mappedBody ${ts}:${out.lines.body}`, '|', `mappedResumer ${ts}:${out.lines.resumer}`]);
    assert.deepEqual(out.trace.slice(1, 2), [`mappedBody ${ts}:${out.lines.suspend}`]);
    assert.deepEqual(out.report, out.trace);
  });

  it('with --enable-source-maps and long stack traces, the body\'s frames stay mapped', () => {
    const out = json('source maps long');
    const ts = path.join(sourceMapDir, 'mapped.ts');
    assert.equal(out.long[0], `mappedBody ${ts}:${out.lines.long}`);
    assert.equal(out.long[1], '|');
    assert.equal(out.long[2], `mappedResumer ${ts}:${out.lines.resumer}`);
  });

  it('under the inspector, a pause in a body shows its resumers as async call stacks (console.createTask)', () => {
    const result = results['inspector async'];
    assert.equal(result.status, 0, explain(result));
    const out = JSON.parse(result.stdout.trim().split('\n').pop());
    const [pause, nested] = out.pauses;
    assert.deepEqual(pause.frames.slice(0, 1), ['asyncBody']);
    assert.equal(pause.chain.length, 1);
    assert.equal(pause.chain[0].description, 'Generator#resume');
    assert.ok(pause.chain[0].frames.includes('secondResumer'), JSON.stringify(pause));
    assert.deepEqual(nested.frames.slice(0, 1), ['innerAsyncBody']);
    assert.deepEqual(
      nested.chain.map((hop) => hop.frames.find((f) => f === 'resumeInner' || f === 'resumeOuter')),
      ['resumeInner', 'resumeOuter'],
    );
    // Without an async depth, nothing is shown and nothing breaks.
    assert.equal(out.withoutDepth.chain.length, 0);
    assert.deepEqual(out.results, [2, 'inner', 'plain']);
    // The debugger gone, resumes go back to the fast path.
    assert.equal(out.slowAfterDisconnect, 0);
  });
});
