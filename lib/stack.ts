// OsStack: a guarded stack (anonymous mapping with a PROT_NONE guard page
// just below `limit`) that a Generator can run on, and reuse after unwrap().

import { binding, type NativeHandle } from './binding';
import './disposable';
import { error, rangeError, typeError } from './errors';

/** The size a generator gets when none is given: 1 MiB, committed lazily. */
export const DEFAULT_STACK_SIZE: number = binding.defaultStackSize;
/** The smallest stack that can run JavaScript (native reserve + JS frames). */
export const MINIMUM_STACK_SIZE: number = binding.minimumStackSize;
/** Sizes beyond this are refused as nonsensical (128 TiB, the x86_64 user address space). */
const MAXIMUM_STACK_SIZE = 2 ** 47;

/** Throws unless `size` is a usable stack size in bytes. */
export function validateStackSize(size: unknown, argument: string): asserts size is number {
  if (typeof size !== 'number') throw typeError(argument, 'a number of bytes', size);
  if (!Number.isInteger(size) || size < MINIMUM_STACK_SIZE || size > MAXIMUM_STACK_SIZE) {
    throw rangeError(argument, `an integer from ${MINIMUM_STACK_SIZE} to ${MAXIMUM_STACK_SIZE} (bytes)`, size);
  }
}

let handleOf: (stack: OsStack) => NativeHandle;
let madeByConstructor: (value: object) => boolean;
// Set while wrapStack() constructs an OsStack around an existing native stack.
let adopting: NativeHandle | undefined;

export class OsStack {
  #handle: NativeHandle;

  /**
   * Maps a stack of `size` bytes (rounded up to whole pages) plus a guard
   * page. Throws RangeError below MINIMUM_STACK_SIZE, and an Error with code
   * ERR_STACK_ALLOCATION (carrying the system's reason) when the mapping
   * fails, for example when vm.max_map_count is exhausted.
   */
  constructor(size: number = DEFAULT_STACK_SIZE) {
    if (adopting !== undefined) {
      this.#handle = adopting;
      adopting = undefined;
      return;
    }
    validateStackSize(size, 'size');
    this.#handle = binding.createStack(size);
  }

  /** Usable bytes. */
  get size(): number {
    return binding.stackInfo(this.#handle)[0];
  }
  /** The highest address of the stack (it grows down from here). */
  get base(): bigint {
    return binding.stackInfo(this.#handle)[1];
  }
  /** The lowest usable address; the guard page is right below it. */
  get limit(): bigint {
    return binding.stackInfo(this.#handle)[2];
  }
  /** Whether a generator is running or suspended on this stack. */
  get inUse(): boolean {
    return binding.stackInfo(this.#handle)[3];
  }
  /** Whether release() has unmapped it. */
  get released(): boolean {
    return binding.stackInfo(this.#handle)[4];
  }

  /**
   * Unmaps the stack now instead of when the object is collected. Throws
   * ERR_STACK_IN_USE while a generator that has not finished owns it.
   * Calling it again does nothing.
   */
  release(): void {
    if (!binding.releaseStack(this.#handle)) {
      throw error('ERR_STACK_IN_USE', 'Cannot release a stack while a generator that has not finished runs on it');
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }

  static {
    handleOf = (stack) => stack.#handle;
    madeByConstructor = (value) => #handle in value;
  }
}

/**
 * @internal Whether `value` is an OsStack made by the constructor: an object
 * that merely inherits from OsStack.prototype passes `instanceof` but has
 * no stack behind it.
 */
export function isOsStack(value: unknown): value is OsStack {
  return typeof value === 'object' && value !== null && madeByConstructor(value);
}

/**
 * @internal Whether `value` claims to be an OsStack: made by its constructor,
 * or merely inheriting its prototype (validateFreeStack tells the two
 * apart). Never throws: `instanceof` on a revoked Proxy would.
 */
export function claimsOsStack(value: unknown): value is OsStack {
  if (isOsStack(value)) return true;
  try {
    return value instanceof OsStack;
  } catch {
    return false;
  }
}

/**
 * @internal Throws unless `stack`, given as `argument`, is an OsStack a new
 * generator can run on: one OsStack's constructor made (not an object that
 * merely inherits its prototype), not released, and not carrying a generator
 * that has not finished. Checked here rather than left to the addon, so that
 * the error names the argument the caller passed. Returns the stack's size
 * (the same native call tells it).
 */
export function validateFreeStack(stack: OsStack, argument: string): number {
  if (!madeByConstructor(stack)) {
    throw typeError(argument, 'an OsStack made by new OsStack() or Generator#unwrap(), or a number of bytes', stack);
  }
  const [size, , , inUse, released] = binding.stackInfo(handleOf(stack));
  if (released) {
    throw error('ERR_STACK_RELEASED', `Expected ${argument} to be an OsStack that has not been released, got a released one`);
  }
  if (inUse) {
    throw error('ERR_STACK_IN_USE', `Expected ${argument} to be an OsStack not in use, got one that an unfinished generator runs on`);
  }
  return size;
}

/** @internal The native stack behind an OsStack. */
export function stackHandle(stack: OsStack): NativeHandle {
  return handleOf(stack);
}

/** @internal An OsStack for a native stack handle. */
export function wrapStack(handle: NativeHandle): OsStack {
  adopting = handle;
  return new OsStack();
}
