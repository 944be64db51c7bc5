// Loads the native addon (a prebuild from prebuilds/, or the build/ of a
// source install) and describes the shape of its private interface.

import * as path from 'node:path';
import { CONTRACT } from './contract';

// The numbers lib and the addon exchange (ResumeMode, Outcome, the
// StatusSlot of Binding.status) are const enums in lib/contract.ts, which is
// generated with the addon's contract.h from one source: tsc inlines them,
// so the resume path reads plain numbers, and checkContract() below makes
// sure the addon loaded was compiled with the same ones.

/** An opaque native object: a stack. */
export type NativeHandle = object & { readonly __native: unique symbol };

/**
 * The native side of a Generator: lib's Generator class extends it, so each
 * Generator object is its own native handle. Its methods are keyed by the
 * symbols kResume, kDiscard and kStackUsage.
 */
export interface NativeCoroutine {
  [key: symbol]: unknown;
}
export interface NativeCoroutineClass {
  new (stack: NativeHandle | undefined, size: number, id: number): NativeCoroutine;
}

/** stackInfo(): what an OsStack is. */
export interface StackInfo {
  size: number;
  base: bigint;
  limit: bigint;
  inUse: boolean;
  released: boolean;
}

/** generator[kStackUsage](): bytes touched from the stack's base, and the bytes of them below the JS limit. */
export interface StackUsage {
  used: number;
  belowLimit: number;
}

/** stats(): counters of this thread's generators (all 0 where generators are not supported). */
export interface Stats {
  liveGenerators: number;
  pooledStacks: number;
  poolLimit: number;
  /** Archived states of suspended generators that minor GCs may skip (scavenge_filter.h). */
  settledStates: number;
  /** Scavenges that skipped settled states, and how many states they skipped. */
  filteredScavenges: number;
  skippedStates: number;
  /** Kernel mappings held by stacks (and the chunks they are carved from), process-wide. */
  stackMappings: number;
  /**
   * Process-wide: the system calls that gave stacks' pages back (MADV_DONTNEED, or one process_madvise for many:
   * freed carved slots, and idle stacks trimmed after full GCs), and the stacks they covered.
   */
  pageReleaseCalls: number;
  pageReleaseSlots: number;
  /**
   * Stacks of suspended (or pooled) generators, idle since the full GC before the last, whose pages below their
   * frames were given back after a full GC (Runtime::TrimIdleStacks): all of them where batchedPageRelease, else only
   * those with a page resident there.
   */
  trimmedStacks: number;
}

/** report(): see lib/generator.ts, GeneratorReport. `generators[i][0]` is the addon's CoroutineState. */
export interface NativeReport {
  live: number;
  suspended: number;
  running: number;
  pooled: number;
  stackBytesMapped: number;
  stackBytesTouched: number;
  generators?: [state: number, stackSize: number, frames: unknown[] | undefined][];
}

export interface Binding {
  /** The contract the addon was compiled with (native/addon/contract.h): lib's CONTRACT, if they agree. */
  readonly contract: typeof CONTRACT;
  readonly supported: boolean;
  readonly unsupportedReason?: string;
  /** Where V8's internals were found in the node executable: "dynamic symbols" or ".symtab". */
  readonly symbolSource: string;
  /**
   * The library every copy of lib in this isolate hands out: the first copy's exports (`exports` itself
   * the first time; also for a later installed copy whose library interface agrees).
   */
  shareLibrary(exports: object): object;
  /**
   * Names this copy's package directory. Returns the reason this copy cannot run generators when
   * another installed copy owns the isolate and their library interfaces differ.
   */
  claimPackage(dir: string): string | undefined;
  readonly minimumStackSize: number;
  readonly defaultStackSize: number;
  readonly pageSize: number;
  /**
   * How guard pages are made in this process: "guard-region" (MADV_GUARD_INSTALL, Linux 6.13+: one mapping
   * per chunk of stacks) or "mprotect" (a PROT_NONE page: two mappings per stack). FRINGE_STACK_GUARD=mprotect
   * forces the latter.
   */
  readonly stackGuard: 'guard-region' | 'mprotect';
  /**
   * Whether the pages of many freed stacks go back in one process_madvise (probed once: Linux 6.13+, unless
   * seccomp refuses it; FRINGE_FAULT_INJECTION=process_madvise_refused says no), or one madvise each.
   */
  readonly batchedPageRelease: boolean;
  /**
   * Where each fiber's first V8 handle block lives: "stack" (the top of its stack, sharing a page with its first
   * frames) or "v8" (V8 allocates it, where fringe could not measure V8's handle blocks: docs/DESIGN.md, section 4).
   */
  readonly handleBlocks: 'stack' | 'v8';
  /** Whether a debugger's step in progress is re-armed when its side resumes (see v8_thread_state.cc). */
  readonly debugStepping: boolean;
  /** Shared with native code, indexed by StatusSlot: the resume path's outcome without a call. */
  readonly status: Int32Array;
  readonly Coroutine: NativeCoroutineClass;
  /**
   * generator[kResume](mode, value, asyncId): the value the body suspended with or returned (see
   * status[Outcome]); the first call starts the body on the generator's fiber. `asyncId` is
   * async_hooks.executionAsyncId() at the resume.
   */
  readonly kResume: symbol;
  /** generator[kDiscard](): finishes a generator that never ran, releasing its stack. */
  readonly kDiscard: symbol;
  /** generator[kStackUsage](): a StackUsage. */
  readonly kStackUsage: symbol;
  /**
   * generator[kStackTrace](limit): a suspended body's frames, [function, script, line, column,
   * isConstructor, ...] innermost first, captured on its own stack without running JavaScript;
   * undefined when it is not suspended with a body on its stack.
   */
  readonly kStackTrace: symbol;
  /** The live generators of this isolate, counted; with `stacks`, [state, stackSize, frames?] each. */
  report(stacks: boolean, limit: number): NativeReport;
  /** Whether a debugger is attached (V8's Debug::is_active_). */
  debugActive(): boolean;
  createStack(size: number): NativeHandle;
  stackInfo(stack: NativeHandle): StackInfo;
  releaseStack(stack: NativeHandle): boolean;
  takeStack(size: number): NativeHandle;
  /**
   * Suspends the innermost running generator; `asyncId` is async_hooks.executionAsyncId(), which must
   * be the one its resume passed (ERR_SUSPEND_IN_ASYNC_SCOPE otherwise).
   */
  suspend(value: unknown, asyncId: number, keepContext?: boolean): unknown;
  /** As suspend(), for the innermost running generator, which must have this yielder id. */
  suspendFrom(id: number, value: unknown, asyncId: number): unknown;
  /** The innermost running Generator. */
  current(): object | undefined;
  /** Unwinds or frees collected generators. */
  reap(): void;
  /** From fiberMain when a body has ended. */
  deliver(threw: boolean, result: unknown): void;
  /** From fiberMain after deliver(): true when a new body is to start on the fiber, false when fiberMain must return. */
  park(): boolean;
  setHooks(
    generatorReturn: Function,
    warn: (error: unknown) => void,
    reaper: () => void,
    fiberMain: () => void,
    describe: (value: unknown) => string,
    crossed: (error: unknown, generator: object) => void,
  ): void;
  setPoolSize(size: number): void;
  /** Around a vm call with a watchdog (timeout, breakOnSigint): suspend() inside is refused (lib/nesting.ts). */
  enterWatchdog(): void;
  leaveWatchdog(): void;
  /** From the first 'exit' listener: the running stack is exiting the process; suspend() there is refused. */
  exiting(): void;
  stats(): Stats;
  benchNative(kind: 'swap' | 'generator' | 'swapcontext' | 'call', iterations: number): number;
  /** Only when FRINGE_TEST_HOOKS=1 was set at load (native/addon/test_hooks.cc): they crash on purpose. */
  readonly testHooks?: TestHooks;
}

/** Test-only functions of the addon. */
export interface TestHooks {
  /** Recurses in C++ on the current stack until it overflows. */
  recurseNatively(): never;
  /** Writes to a PROT_NONE page that is no stack's guard page. */
  writeProtectedPage(): never;
  /** Writes to address 0. */
  writeNull(): never;
  /** Whether SIGSEGV goes to fringe's overflow handler. */
  overflowHandlerInstalled(): boolean;
  /** The calling thread's alternate signal stack size in bytes, 0 if none. */
  altStackSize(): number;
}

function load(): Binding {
  const root = path.join(__dirname, '..');
  try {
    // FRINGE_ADDON_PATH picks a particular build (the cmake-js one, say).
    const override = process.env.FRINGE_ADDON_PATH;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (override ? require(path.resolve(override)) : require('node-gyp-build')(root)) as Binding;
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

// An addon built from another contract than this lib (a stale build/, a
// prebuild of another version) would misread every resume: refuse it here,
// naming both, rather than misbehave later.
function checkContract(loaded: Binding): void {
  const theirs = JSON.stringify(loaded.contract);
  if (theirs === JSON.stringify(CONTRACT)) return;
  const where = process.env.FRINGE_ADDON_PATH ?? 'the addon node-gyp-build found';
  throw new Error(
    `fringe: the native addon (${where}) was built from another JS<->C++ contract than this lib ` +
      `(addon ${loaded.contract?.digest ?? 'without one'}, lib ${CONTRACT.digest}): rebuild it ` +
      '(npm rebuild fringe) or install a matching version',
  );
}

export const binding: Binding = load();
checkContract(binding);
// Another installed copy of fringe may own this thread's generators
// (native/addon/binding_module.cc, "Copies"): then this copy says why it cannot run.
const refused = binding.claimPackage(path.join(__dirname, '..'));
if (refused !== undefined) (binding as { unsupportedReason?: string }).unsupportedReason = refused;
