// Node state that assumes a call ends before anything else runs on the
// thread, marked for the native side so that a suspend() from inside it is
// refused (docs/DESIGN.md, "Nesting invariants"; the native check is
// RefuseLeaving in binding_generators.cc). Installed once per thread, by the
// first copy of the library (index.ts).

import * as vm from 'node:vm';
import { binding } from './binding';

type RunIn = (this: vm.Script, ...args: unknown[]) => unknown;

// A vm call with `timeout` or `breakOnSigint` starts a watchdog that calls
// TerminateExecution() on whatever JavaScript runs when it fires, and
// breakOnSigint also takes the process's SIGINT listeners away until the
// call returns. Suspending inside such a call would leave both running for
// unrelated code (the suspended script is not running, so the timeout has
// no meaning for it either), so the call's stack is marked while it lasts.
function watched(options: unknown): boolean {
  if (typeof options !== 'object' || options === null) return false;
  const { timeout, breakOnSigint } = options as { timeout?: unknown; breakOnSigint?: unknown };
  return timeout !== undefined || breakOnSigint === true;
}

function wrap(proto: object, name: string, optionsIndex: number): void {
  const original = (proto as Record<string, unknown>)[name];
  if (typeof original !== 'function') return;
  const run = original as RunIn;
  // A method, not an arrow function: `this` is the Script. Same name and
  // length as Node's, so that it looks and reflects the same.
  const wrapped = {
    [name](this: vm.Script, ...args: unknown[]): unknown {
      if (!watched(args[optionsIndex])) return Reflect.apply(run, this, args);
      binding.enterWatchdog();
      try {
        return Reflect.apply(run, this, args);
      } finally {
        binding.leaveWatchdog();
      }
    },
  }[name];
  Object.defineProperty(wrapped, 'length', { value: run.length });
  Object.defineProperty(proto, name, { value: wrapped, writable: true, enumerable: false, configurable: true });
}

export function installNestingGuards(): void {
  // runInNewContext() and the module-level vm.runIn*() functions call these
  // two through the prototype.
  wrap(vm.Script.prototype, 'runInContext', 1);
  wrap(vm.Script.prototype, 'runInThisContext', 0);
  // vm.Module (with --experimental-vm-modules): evaluate({ timeout, breakOnSigint })
  // runs the module body synchronously, under the same watchdogs.
  const modules = (vm as unknown as { Module?: { prototype: object } }).Module;
  if (modules !== undefined) wrap(modules.prototype, 'evaluate', 0);

  // process.exit() emits 'exit' and then ends the process: a generator that
  // suspends from inside it (an 'exit' listener calling suspend() or wait())
  // would return to its resumer and the exit would never happen. The first
  // listener marks the stack it runs on.
  process.prependListener('exit', () => binding.exiting());
}
