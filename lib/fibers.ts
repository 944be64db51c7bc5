// fringe/fibers: node-fibers' `Fiber` (the API and behaviour of fibers
// 5.0.3, whose README is the specification) on fringe's generators, so that
// code written for `require('fibers')` runs unchanged on Node 20 and later.
// See docs/fibers.md for what differs and why.
//
// A Fiber owns at most one fringe Generator at a time: run() starts one when
// the fiber is not started, and the fiber is restartable once its function
// returns (node-fibers' "reset to original state"). All switching is
// fringe's; this file only keeps node-fibers' bookkeeping: which fiber is
// current, whether it is yielding, and the "zombie" exception with which
// reset() and the collection of an unreachable fiber unwind it.
//
// Garbage collection: as in node-fibers, a yielding fiber that nothing
// references is unwound. The fiber's own stack therefore never holds the
// Fiber object (nor its Generator): the body wrapper and Fiber.yield keep
// only a FiberState, which points at neither.

import { Generator, GeneratorReturn, type Yielder } from './index';

/** The errors this module throws carry one of these codes. */
type FiberErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_THIS'
  | 'ERR_FIBER_ARGUMENTS'
  | 'ERR_FIBER_RUNNING'
  | 'ERR_FIBER_NOT_YIELDING'
  | 'ERR_NOT_IN_FIBER'
  | 'ERR_FIBER_ZOMBIE';

function coded<E extends Error>(e: E, code: FiberErrorCode, skip: Function): E & { code: FiberErrorCode } {
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  Error.captureStackTrace?.(e, skip);
  return e as E & { code: FiberErrorCode };
}

// node-fibers' messages, word for word (code matches on them), with a code.
const fiberError = (code: FiberErrorCode, message: string, skip: Function) => coded(new Error(message), code, skip);
const fiberTypeError = (code: FiberErrorCode, message: string, skip: Function) => coded(new TypeError(message), code, skip);

/** What the fiber's own stack may hold: nothing that leads back to the Fiber or its Generator. */
interface FiberState {
  /** The Generator's yielder (it holds only the generator's id). */
  yielder: Yielder | undefined;
  /** Set while the fiber is unwound (reset() or collection): every yield() throws it. */
  zombie: Error | undefined;
  /** The GeneratorReturn of fringe's unwinding of the collected fiber, rethrown when the zombie escapes. */
  collected: GeneratorReturn | undefined;
  /** What Fiber.current and the current state were when the collection unwinding began. */
  outerFiber: Fiber | undefined;
  outerState: FiberState | undefined;
}

// run() without an argument calls the fiber's function with no arguments
// (arguments.length 0), run(undefined) with one.
const NO_ARGUMENT: unique symbol = Symbol('no argument');

// The innermost fiber being run, and its state. Switched by every run(),
// throwInto() and reset(), and restored when they return.
let currentFiber: Fiber | undefined;
let currentState: FiberState | undefined;
let fibersStarted = 0;

/** The function the fiber's Generator runs: fn, with node-fibers' `this` and arguments. */
function fiberBody(fn: Function, state: FiberState): (yielder: Yielder, input: unknown) => unknown {
  return (yielder, input) => {
    state.yielder = yielder;
    try {
      // node-fibers calls fn with the global object as `this`.
      return input === NO_ARGUMENT ? fn.call(globalThis) : fn.call(globalThis, input);
    } catch (e) {
      // The zombie exception escaping a collected fiber is the end of its
      // unwinding: hand fringe back its own GeneratorReturn, which it
      // expects (anything else it reports as an unwinding error).
      if (state.collected !== undefined && e === state.zombie) throw state.collected;
      throw e;
    } finally {
      if (state.collected !== undefined) {
        currentFiber = state.outerFiber;
        currentState = state.outerState;
        state.outerFiber = state.outerState = undefined;
      }
    }
  };
}

const enum Mode {
  Run,
  Throw,
}

let isFiber: (value: unknown) => value is FiberImpl;

class FiberImpl {
  readonly #fn: Function;
  // The Generator of the current start, undefined when not started.
  #generator: Generator | undefined = undefined;
  #state: FiberState | undefined = undefined;
  // Suspended in Fiber.yield() (only a started fiber can be).
  #yielding = false;

  constructor(fn: Function) {
    this.#fn = fn;
  }

  /**
   * Starts the fiber (calling its function with `value`, if given) or resumes
   * its pending Fiber.yield() (which returns `value`); returns what the fiber
   * yields next, or what its function returns. Rethrows what it throws.
   */
  run(value?: unknown): unknown {
    const self = checkThis(this, FiberImpl.prototype.run);
    if (self.#generator !== undefined && !self.#yielding) {
      throw fiberError('ERR_FIBER_RUNNING', 'This Fiber is already running', FiberImpl.prototype.run);
    }
    if (arguments.length > 1) {
      throw fiberTypeError('ERR_FIBER_ARGUMENTS', 'run() excepts 1 or no arguments', FiberImpl.prototype.run);
    }
    if (self.#generator === undefined) {
      const state: FiberState = { yielder: undefined, zombie: undefined, collected: undefined, outerFiber: undefined, outerState: undefined };
      self.#generator = new Generator(fiberBody(self.#fn, state));
      self.#state = state;
      fibersStarted++;
      return self.#switch(Mode.Run, arguments.length === 0 ? NO_ARGUMENT : value);
    }
    return self.#switch(Mode.Run, value);
  }

  /**
   * Makes the pending Fiber.yield() throw `exception`; returns what the fiber
   * yields next or returns, and rethrows what escapes it.
   */
  throwInto(exception?: unknown): unknown {
    const self = checkThis(this, FiberImpl.prototype.throwInto);
    if (!self.#yielding) throw fiberError('ERR_FIBER_NOT_YIELDING', 'This Fiber is not yielding', FiberImpl.prototype.throwInto);
    if (arguments.length > 1) {
      throw fiberTypeError('ERR_FIBER_ARGUMENTS', 'throwInto() expects 1 or no arguments', FiberImpl.prototype.throwInto);
    }
    return self.#switch(Mode.Throw, exception);
  }

  /**
   * Unwinds a yielding fiber: its Fiber.yield() throws an Error "This Fiber
   * is a zombie", and so does every later yield() until the function has
   * returned. Returns what it returns; rethrows anything but the zombie
   * exception. Does nothing to a fiber that is not started.
   */
  reset(): unknown {
    const self = checkThis(this, FiberImpl.prototype.reset);
    if (self.#generator === undefined) return undefined;
    if (!self.#yielding) throw fiberError('ERR_FIBER_NOT_YIELDING', 'This Fiber is not yielding', FiberImpl.prototype.reset);
    if (arguments.length > 0) throw fiberTypeError('ERR_FIBER_ARGUMENTS', 'reset() expects no arguments', FiberImpl.prototype.reset);
    const zombie = fiberError('ERR_FIBER_ZOMBIE', 'This Fiber is a zombie', FiberImpl.prototype.reset);
    self.#state!.zombie = zombie;
    try {
      return self.#switch(Mode.Throw, zombie);
    } catch (e) {
      if (e === zombie) return undefined;
      throw e;
    }
  }

  /** Whether the fiber has started and its function has not yet returned. */
  get started(): boolean | undefined {
    // node-fibers answers undefined for an object that is no fiber.
    return isFiber(this) ? this.#generator !== undefined : undefined;
  }

  #switch(mode: Mode, value: unknown): unknown {
    const generator = this.#generator!;
    const outerFiber = currentFiber;
    const outerState = currentState;
    currentFiber = this as unknown as Fiber;
    currentState = this.#state;
    this.#yielding = false;
    let out: unknown;
    try {
      out = mode === Mode.Run ? generator.resume(value) : generator.throw(value).value;
    } catch (e) {
      this.#finished();
      throw e;
    } finally {
      currentFiber = outerFiber;
      currentState = outerState;
    }
    if (generator.state === 'done') this.#finished();
    else this.#yielding = true;
    return out;
  }

  // The function has returned or thrown: the fiber is as if never started.
  #finished(): void {
    this.#generator = this.#state = undefined;
    this.#yielding = false;
  }

  static {
    isFiber = (value): value is FiberImpl => typeof value === 'object' && value !== null && #fn in value;
  }
}

function checkThis(value: unknown, method: Function): FiberImpl {
  if (!isFiber(value)) throw fiberTypeError('ERR_INVALID_THIS', 'Illegal invocation', method);
  return value;
}

/**
 * Suspends the current fiber, handing `value` to the run() (or throwInto())
 * that resumed it; returns the value of the next run(). Throws outside any
 * fiber, and throws the zombie exception while the fiber is being unwound.
 */
function fiberYield(value?: unknown): unknown {
  // Only the state stays in this frame while the fiber is suspended.
  const state = currentState;
  if (state === undefined) throw fiberError('ERR_NOT_IN_FIBER', 'yield() called with no fiber running', fiberYield);
  if (state.zombie !== undefined) throw state.zombie;
  if (arguments.length > 1) throw fiberTypeError('ERR_FIBER_ARGUMENTS', 'yield() expects 1 or no arguments', fiberYield);
  try {
    return state.yielder!.suspend(value);
  } catch (e) {
    // fringe unwinds a generator that was collected while suspended by
    // making its suspend() throw a GeneratorReturn. node-fibers throws its
    // zombie exception there, and again from every later yield().
    if (e instanceof GeneratorReturn && state.zombie === undefined) {
      state.collected = e;
      state.zombie = fiberError('ERR_FIBER_ZOMBIE', 'This Fiber is a zombie', fiberYield);
      // The unwinding runs with no Fiber object (it was collected); yield()
      // must still find this state until the function has returned.
      state.outerFiber = currentFiber;
      state.outerState = currentState;
      currentFiber = undefined;
      currentState = state;
      throw state.zombie;
    }
    throw e;
  }
}

/** A fiber: see node-fibers' README, and docs/fibers.md. */
interface Fiber {
  /**
   * Starts the fiber, or resumes its pending Fiber.yield(); returns the value
   * it yields next, or what its function returns.
   */
  run<R = any, T = any>(param?: T): R;
  /** Unwinds a yielding fiber (its yield() calls throw); returns what its function returns. */
  reset<T = any>(): T;
  /** Makes the pending Fiber.yield() throw `exception`; returns what the fiber yields next or returns. */
  throwInto<R = any>(exception?: unknown): R;
  /** Whether the fiber has started and not yet returned. */
  readonly started: boolean;
}

interface FiberConstructor {
  /** A fiber that will run `fn` on a stack of its own (with or without `new`). */
  new (fn: Function): Fiber;
  (fn: Function): Fiber;
  readonly prototype: Fiber;
  /** The innermost running fiber, undefined outside any. */
  readonly current: Fiber | undefined;
  /** Suspends the current fiber; run()'s argument is what it returns. */
  yield<T = any, R = any>(param?: R): T;
  /** How many default-size stacks of finished fibers (and generators) are kept for reuse: fringe's Generator.poolSize. */
  poolSize: number;
  /** How many fibers have been started in this thread. */
  readonly fibersCreated: number;
}

declare const process: NodeJS.Process & { fiberLib?: FiberConstructor };

// node-fibers' constructor: a plain function, so that it works without
// `new`; instances are FiberImpl objects whose prototype is Fiber.prototype
// (a subclass's, through new.target).
function makeFiber(): FiberConstructor {
  const Fiber = function Fiber(this: unknown, fn: Function): Fiber {
    if (arguments.length !== 1) throw fiberTypeError('ERR_FIBER_ARGUMENTS', 'Fiber expects 1 argument', Fiber);
    if (typeof fn !== 'function') throw fiberTypeError('ERR_INVALID_ARG_TYPE', 'Fiber expects a function', Fiber);
    // Fiber.prototype is FiberImpl.prototype: `new FiberImpl` serves both
    // Fiber(fn) and new Fiber(fn). Reflect.construct() with a new.target
    // that is not a class makes V8 build each object the slow way (about
    // 5 us), so only a subclass's construction goes through it.
    if (new.target === undefined || new.target === Fiber) return new FiberImpl(fn) as unknown as Fiber;
    return Reflect.construct(FiberImpl, [fn], new.target) as Fiber;
  } as unknown as FiberConstructor & { prototype: object };
  Object.defineProperty(Fiber, 'prototype', { value: FiberImpl.prototype, writable: false });
  Object.defineProperty(FiberImpl.prototype, 'constructor', { value: Fiber, writable: true, configurable: true, enumerable: false });
  Object.defineProperties(Fiber, {
    // A data property, as in node-fibers (whose fibers.js reassigns it).
    yield: { value: fiberYield, writable: true, enumerable: true, configurable: true },
    current: {
      get: () => currentFiber,
      // node-fibers' `current` is a native accessor without a setter, which
      // ignores assignments (the library `sync` assigns it); so does this.
      set: () => {},
      enumerable: true,
      configurable: true,
    },
    poolSize: {
      get: () => Generator.poolSize,
      set: (size: number) => {
        Generator.poolSize = size;
      },
      enumerable: true,
      configurable: true,
    },
    fibersCreated: { get: () => fibersStarted, enumerable: true, configurable: true },
  });
  return Fiber;
}

// node-fibers shares one Fiber among all the copies of the module loaded in
// a process (several packages may each bring their own) through
// process.fiberLib; so does this, so that Fiber.current is one for all.
const Fiber: FiberConstructor = process.fiberLib ?? (process.fiberLib = makeFiber());

export = Fiber;
