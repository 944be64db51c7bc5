// Loads the native addon (a prebuild from prebuilds/, or the build/ of a
// source install) and describes the shape of its private interface.

import * as path from 'node:path';

/** An opaque native object: a stack. */
export type NativeHandle = object & { readonly __native: unique symbol };

/** A native coroutine. Its methods check that they are called on one. */
export interface NativeCoroutine {
  /** The value the body suspended with or returned (see status[Outcome]). */
  resume(mode: ResumeMode, value: unknown): unknown;
  /** suspend() through this coroutine's Yielder. */
  suspend(value: unknown): unknown;
  /** Finishes a coroutine that never ran, releasing its body and stack. */
  discard(): void;
  /** [bytes touched from the stack's base, bytes of them below the JS limit] */
  stackUsage(): [number, number];
}

/** Resume modes and outcomes, as numbered in native/addon/runtime.h. */
export const enum ResumeMode {
  Next = 0,
  Throw = 1,
  Return = 2,
}
export const enum Outcome {
  Yielded = 0,
  Returned = 1,
  Threw = 2,
  Terminated = 3,
}
/** Slots of Binding.status. */
export const enum StatusSlot {
  Outcome = 0,
  CollectedPending = 1,
}

export interface Binding {
  readonly supported: boolean;
  readonly unsupportedReason?: string;
  readonly minimumStackSize: number;
  readonly defaultStackSize: number;
  readonly pageSize: number;
  /** Shared with native code: see StatusSlot. */
  readonly status: Int32Array;
  createStack(size: number): NativeHandle;
  /** [size, base, limit, inUse, released] */
  stackInfo(stack: NativeHandle): [number, bigint, bigint, boolean, boolean];
  releaseStack(stack: NativeHandle): boolean;
  /** A coroutine, or why no stack could be mapped. */
  create(owner: object, body: Function, yielder: object, stack: NativeHandle | undefined, size: number): NativeCoroutine | string;
  /** Suspends the innermost running coroutine. */
  suspend(value: unknown): unknown;
  /** The owner (Generator) of the innermost running coroutine. */
  current(): object | undefined;
  takeStack(size: number): NativeHandle;
  reapOne(): 0 | 1 | unknown;
  setHooks(generatorReturn: Function, reaper: () => void): void;
  setPoolSize(size: number): void;
  /** [live coroutines, pooled stacks, pool limit] */
  stats(): [number, number, number];
  benchNative(kind: 'swap' | 'generator' | 'swapcontext' | 'call', iterations: number): number;
}

function load(): Binding {
  const root = path.join(__dirname, '..');
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('node-gyp-build')(root) as Binding;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `fringe: cannot load the native addon for Node ${process.version} on ${process.platform}-${process.arch} ` +
        `(there is no prebuild for this Node ABI and no build from source: run \`npm rebuild fringe\` ` +
        `with a C++ compiler and Python installed). ${reason}`,
      { cause },
    );
  }
}

export const binding: Binding = load();
