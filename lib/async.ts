// The async bridge: run(fn) runs fn on a generator of its own and returns a
// promise of its result; inside it, wait(promise) suspends that generator
// until the promise settles and returns its value (or throws its reason), so
// code written synchronously can wait from any call depth. See docs/async.md.
//
// A wait() leaves the promise in its run's generator and suspends it; the
// code that resumed the generator (run() itself the first time, a promise
// reaction after that) then chains the run's two continuation callbacks onto
// the promise and returns. Each run has one pair of callbacks, made once: a
// native promise calls exactly one of them exactly once, so the pair serves
// every wait() of the run, and a wait() costs a context switch there and
// back, a then() and a microtask, with nothing allocated for it but the
// promise reaction. A foreign thenable is first turned into a native promise
// the way `await` does it (its then() called once, in a microtask, and only
// its first settlement counting).
//
// Every resume runs inside an AsyncResource made when run() was called, so
// AsyncLocalStorage stores (and executionAsyncId()) inside fn are those of
// run()'s caller, whichever context settled the promise.

import { AsyncResource, executionAsyncId } from 'node:async_hooks';
import { binding } from './binding';
import { error, expected, typeError } from './errors';
import { Generator } from './generator';
import { type OsStack, parseStackOption } from './stack';

export interface RunOptions {
  /** The stack fn runs on: an OsStack, or a size in bytes (see Generator). */
  stack?: OsStack | number;
}

const nativeCurrent = binding.current;
const nativeSuspend = binding.suspend;
const NativePromise = Promise;
const promiseThen = Promise.prototype.then;
const promiseResolve = Promise.resolve;
const resumeGenerator = Generator.prototype.resume;
const throwIntoGenerator = Generator.prototype.throw;

function ownedByRun(): never {
  throw error('ownedByRun');
}

let asyncIdOf: (generator: RunGenerator) => number;
// Runs fn up to its first wait() (or to its end). Not a method: current()
// hands the generator out, and nobody else may drive it.
let start: (generator: RunGenerator) => void;
let setPending: (generator: RunGenerator, promise: unknown) => void;

/**
 * The generator of one run(), and its driver. A class of its own so that
 * wait() can tell it from a Generator the user made inside fn; its resuming
 * methods are closed to everyone else (current() hands it out), the driver
 * calls Generator's own.
 */
class RunGenerator extends Generator<unknown, unknown, unknown> {
  readonly #resource: AsyncResource;
  readonly #asyncId: number;
  readonly #resolve: (value: unknown) => void;
  readonly #reject: (reason: unknown) => void;
  // The promise a wait() is suspended on, from wait() to the driver. Kept
  // per run, not in one shared slot: async hooks' callbacks run around each
  // resume, and they could start a run of their own in between.
  #pending: unknown = undefined;
  readonly #onFulfilled = (value: unknown): void => {
    this.#continue(value, false);
  };
  readonly #onRejected = (reason: unknown): void => {
    this.#continue(reason, true);
  };

  constructor(
    fn: () => unknown,
    stack: OsStack | number | undefined,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
  ) {
    // fn is not called as a method of anything, and gets no arguments.
    super(() => fn(), stack);
    // The caller's async context, entered again for every resume.
    this.#resource = new AsyncResource('FringeRun');
    this.#asyncId = this.#resource.asyncId();
    this.#resolve = resolve;
    this.#reject = reject;
  }

  override resume(): never {
    ownedByRun();
  }
  override next(): never {
    ownedByRun();
  }
  override throw(): never {
    ownedByRun();
  }
  override return(): never {
    ownedByRun();
  }


  // Resumes the pending wait() with a settled value (or, if `threw`, makes
  // it throw that), then chains onto the promise of the generator's next
  // wait(), or settles run()'s promise. Never throws: it runs as a promise
  // reaction, where a throw would only reject a promise nobody sees.
  #continue(value: unknown, threw: boolean): void {
    try {
      let out = threw ? this.#throwIn(value) : this.#resource.runInAsyncScope(resumeGenerator, this, value);
      for (;;) {
        const promise = this.#pending;
        if (promise !== undefined) {
          this.#pending = undefined;
          try {
            promiseThen.call(promise, this.#onFulfilled, this.#onRejected);
            return;
          } catch (e) {
            // Promise.prototype.then called on an object that only inherits it.
            out = this.#throwIn(e);
            continue;
          }
        }
        if (this.state === 'done') return this.#resolve(out);
        // fn called suspend() itself: only wait()'s suspends can be resumed
        // sensibly here, so that suspend() throws.
        out = this.#throwIn(error('suspendInRun'));
      }
    } catch (e) {
      this.#reject(e);
    }
  }

  // Makes the pending suspend throw `exception`; what the generator then
  // suspends with or returns.
  #throwIn(exception: unknown): unknown {
    return (this.#resource.runInAsyncScope(throwIntoGenerator, this, exception) as IteratorResult<unknown>).value;
  }

  static {
    start = (generator) => generator.#continue(undefined, false);
    asyncIdOf = (generator) => generator.#asyncId;
    setPending = (generator, promise) => {
      generator.#pending = promise;
    };
  }
}

/**
 * Runs `fn` on a generator of its own, at once and up to its first wait(),
 * like an async function; returns a promise of what fn returns, rejected
 * with what it throws. `options.stack` is an OsStack or a size in bytes
 * (default: a pooled 1 MiB stack).
 */
export function run<T>(fn: () => T, options?: RunOptions): Promise<Awaited<T>> {
  if (typeof fn !== 'function') throw typeError('fn', expected('function'), fn);
  let stack: OsStack | number | undefined;
  if (options !== undefined) {
    if (options === null || typeof options !== 'object') throw typeError('options', expected('object'), options);
    stack = options.stack;
    // Checked here so that the error names `options.stack`; the Generator
    // constructor reads the same value again, as its `stack`.
    parseStackOption(stack, 'options.stack');
  }
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new NativePromise<Awaited<T>>((res, rej) => {
    resolve = res as (value: unknown) => void;
    reject = rej;
  });
  start(new RunGenerator(fn, stack, resolve, reject));
  return promise;
}

/**
 * Inside fn of a run() (at any call depth, but not inside another Generator
 * running there): waits for `value` if it is a thenable and returns its
 * value, or throws its rejection reason. Anything else is returned as is,
 * without suspending. Throws ERR_NOT_IN_GENERATOR anywhere else.
 */
export function wait<T>(value: T | PromiseLike<T>): T {
  const generator = nativeCurrent();
  if (!(generator instanceof RunGenerator)) throw notInRun(generator);
  // Suspending inside an async scope fn entered (runInAsyncScope) would
  // leave it on Node's async context stack while other code runs, which
  // Node treats as a corrupted stack and exits.
  if (executionAsyncId() !== asyncIdOf(generator)) throw inNestedScope();
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return value as T;
  // `then` is read once, here, so that a throwing getter throws from wait().
  const then = (value as PromiseLike<T>).then;
  if (typeof then !== 'function') return value as T;
  setPending(
    generator,
    then === promiseThen
      ? value
      : promiseResolve.call(NativePromise, {
          then: (onFulfilled: unknown, onRejected: unknown) => then.call(value, onFulfilled as never, onRejected as never),
        }),
  );
  // Returns the value the promise fulfils with, or throws its reason. The
  // execution async id is the run's own, checked above; `true`: fn gets its
  // own AsyncContextFrame back (Node 24+, see the native suspend()).
  return nativeSuspend(undefined, asyncIdOf(generator), true) as T;
}

function notInRun(generator: object | undefined): Error {
  return generator === undefined ? error('waitOutsideRun') : error('waitInOtherGenerator');
}

function inNestedScope(): Error {
  return error('waitInAsyncScope');
}
