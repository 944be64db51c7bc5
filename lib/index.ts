// fringe: stackful coroutines for Node.js.

export { Generator, GeneratorReturn, Yielder, current, suspend, supported, unsupportedReason } from './generator';
export type { GeneratorState } from './generator';
export { OsStack, DEFAULT_STACK_SIZE, MINIMUM_STACK_SIZE } from './stack';
export type { ErrorCode, FringeError } from './errors';
export { run, wait } from './async';
export type { RunOptions } from './async';
