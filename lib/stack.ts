// OsStack: a guarded stack (anonymous mapping with a PROT_NONE guard page
// just below `limit`) that a Generator can run on, and reuse after unwrap().

import { binding, type NativeHandle } from './binding';
import { MAXIMUM_STACK_SIZE } from './contract';
import './disposable';
import { error, expected, rangeError, typeError } from './errors';

/** The size a generator gets when none is given: 1 MiB, committed lazily. */
export const DEFAULT_STACK_SIZE: number = binding.defaultStackSize;
/** The smallest stack that can run JavaScript (native reserve + JS frames). */
export const MINIMUM_STACK_SIZE: number = binding.minimumStackSize;
// Sizes beyond MAXIMUM_STACK_SIZE (contract.json: 128 TiB, the x86_64 user
// address space) are refused as nonsensical, here and by the addon.

/**
 * Throws unless `size` is a usable stack size in bytes; `type` is what a
 * value that is no number should have been.
 */
function validateStackSize(size: unknown, argument: string, type: 'bytes' | 'stack'): asserts size is number {
  if (typeof size !== 'number') throw typeError(argument, expected(type), size);
  if (!Number.isInteger(size) || size < MINIMUM_STACK_SIZE || size > MAXIMUM_STACK_SIZE) {
    throw rangeError(argument, expected('stackSize', { minimum: MINIMUM_STACK_SIZE, maximum: MAXIMUM_STACK_SIZE }), size);
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
    validateStackSize(size, 'size', 'bytes');
    this.#handle = binding.createStack(size);
  }

  /** Usable bytes. */
  get size(): number {
    return binding.stackInfo(this.#handle).size;
  }
  /** The highest address of the stack (it grows down from here). */
  get base(): bigint {
    return binding.stackInfo(this.#handle).base;
  }
  /** The lowest usable address; the guard page is right below it. */
  get limit(): bigint {
    return binding.stackInfo(this.#handle).limit;
  }
  /** Whether a generator is running or suspended on this stack. */
  get inUse(): boolean {
    return binding.stackInfo(this.#handle).inUse;
  }
  /** Whether release() has unmapped it. */
  get released(): boolean {
    return binding.stackInfo(this.#handle).released;
  }

  /**
   * Unmaps the stack now instead of when the object is collected. Throws
   * ERR_STACK_IN_USE while a generator that has not finished owns it.
   * Calling it again does nothing.
   */
  release(): void {
    if (!binding.releaseStack(this.#handle)) {
      throw error('releaseInUse');
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
function claimsOsStack(value: unknown): value is OsStack {
  if (isOsStack(value)) return true;
  try {
    return value instanceof OsStack;
  } catch {
    return false;
  }
}

// Throws unless `stack`, given as `argument`, is an OsStack a new generator
// can run on: one OsStack's constructor made (not an object that merely
// inherits its prototype), not released, and not carrying a generator that
// has not finished. Checked here rather than left to the addon, so that the
// error names the argument the caller passed. Returns the stack's size (the
// same native call tells it).
function validateFreeStack(stack: OsStack, argument: string): number {
  if (!madeByConstructor(stack)) throw typeError(argument, expected('madeStack'), stack);
  const { size, inUse, released } = binding.stackInfo(handleOf(stack));
  if (released) throw error('stackReleased', { argument });
  if (inUse) throw error('stackInUse', { argument });
  return size;
}

/**
 * @internal The one reading of the `stack` option of new Generator() and
 * run() (given as `argument`): an OsStack a new generator can run on, a size
 * in bytes, or undefined for the default. Throws what is wrong with it;
 * returns the stack size it asks for. When it returns for anything but
 * undefined or a number, `stack` is a free OsStack (stackHandle() gives its
 * native stack).
 */
export function parseStackOption(stack: unknown, argument: string): number {
  if (stack === undefined) return DEFAULT_STACK_SIZE;
  if (claimsOsStack(stack)) return validateFreeStack(stack, argument);
  validateStackSize(stack, argument, 'stack');
  return stack;
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
