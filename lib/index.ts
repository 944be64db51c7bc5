// fringe: stackful coroutines for Node.js.

export { Generator, GeneratorReturn, Yielder, current, report, suspend, supported, unsupportedReason } from './generator';
export type { GeneratorReport, GeneratorReportEntry, GeneratorState } from './generator';
export { OsStack, DEFAULT_STACK_SIZE, MINIMUM_STACK_SIZE } from './stack';
export type { ErrorCode, FringeError } from './errors';
export { run, wait } from './async';
export type { RunOptions } from './async';

// One copy of the library per thread. The addon is loaded once per isolate,
// and its fibers run the first copy's loop (Node runs the addon's
// initializer again when a cleared require cache, a hot reloader say, loads
// fringe anew): a later copy hands out the first one's exports.
import { binding } from './binding';
import { installNestingGuards } from './nesting';
const first = binding.shareLibrary(module.exports);
if (first !== module.exports) module.exports = first;
else if (binding.supported) installNestingGuards();
