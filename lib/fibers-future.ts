// fringe/fibers/future: node-fibers' `fibers/future` (fibers 5.0.3), on the
// Fiber of fringe/fibers. The code follows node-fibers' future.js (MIT,
// Copyright 2011 Marcel Laverdet) statement for statement, so that what
// code observes of it is the same: the prototype is a plain object with
// enumerable methods, callbacks run synchronously when a future resolves,
// an exception a callback throws is rethrown from process.nextTick, and
// loading the module adds Function.prototype.future. Its errors carry codes.

import { inherits } from 'node:util';
import Fiber = require('./fibers');

/** The errors this module throws carry one of these codes. */
type FutureErrorCode = 'ERR_FUTURE_RESOLVED' | 'ERR_FUTURE_NOT_RESOLVED' | 'ERR_FUTURE_EMPTY_ERROR' | 'ERR_NOT_A_FUTURE' | 'ERR_NOT_IN_FIBER';

// node-fibers' messages, word for word, with a code.
function futureError(code: FutureErrorCode, message: string, skip: Function): Error & { code: FutureErrorCode } {
  const e = new Error(message);
  Object.defineProperty(e, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  Error.captureStackTrace?.(e, skip);
  return e as Error & { code: FutureErrorCode };
}

/* eslint-disable @typescript-eslint/no-explicit-any */

(Function.prototype as any).future = function (this: Function, detach?: boolean) {
  const fn = this;
  const ret = function (this: unknown) {
    const future = new (FiberFuture as any)(fn, this, arguments);
    if (detach) {
      future.detach();
    }
    return future;
  };
  ret.toString = function () {
    return '<<Future ' + fn + '.future()>>';
  };
  return ret;
};

function FutureImpl(this: any) {}

/**
 * Runs a function (or several, in parallel) in a fiber of its own; returns a
 * future of its return value (of the array of their values).
 */
(FutureImpl as any).task = function (fn: Function) {
  if (arguments.length === 1) {
    return (fn as any).future()();
  } else {
    const future = new (FutureImpl as any)();
    let pending = arguments.length;
    let error: unknown;
    const values = new Array(arguments.length);
    for (let ii = 0; ii < arguments.length; ++ii) {
      arguments[ii]
        .future()()
        .resolve(
          function (ii: number, err: unknown, val: unknown) {
            if (err) {
              error = err;
            }
            values[ii] = val;
            if (--pending === 0) {
              if (error) {
                future.throw(error);
              } else {
                future.return(values);
              }
            }
          }.bind(null, ii),
        );
    }
    return future;
  }
};

/**
 * Wraps node-style async functions (the last argument a callback) to return
 * futures instead; an object is wrapped method by method, each wrapped one
 * added under its name plus `suffix` (default 'Future'). `multi`: the
 * callback gets several values after `err`, which the future holds as an
 * array. What the function returns is the future's `_` property.
 */
(FutureImpl as any).wrap = function wrap(fnOrObject: any, multi?: boolean, suffix?: string, stop?: boolean): any {
  if (typeof fnOrObject === 'object') {
    const wrapped = Object.create(fnOrObject);
    for (const ii in fnOrObject) {
      if (wrapped[ii] instanceof Function) {
        wrapped[suffix === undefined ? ii + 'Future' : ii + suffix] = wrap(wrapped[ii], multi, suffix, stop);
      }
    }
    return wrapped;
  } else if (typeof fnOrObject === 'function') {
    const fn = function (this: unknown) {
      const future = new (FutureImpl as any)();
      const args = Array.prototype.slice.call(arguments);
      if (multi) {
        const cb = future.resolver();
        args.push(function (err: unknown) {
          cb(err, Array.prototype.slice.call(arguments, 1));
        });
      } else {
        args.push(future.resolver());
      }
      future._ = fnOrObject.apply(this, args);
      return future;
    };
    // Modules like `request` return a function that has more functions as
    // properties (node-fibers' comment): they are wrapped too.
    if (!stop) {
      const proto = Object.create(fnOrObject);
      for (const ii in fnOrObject) {
        if (Object.prototype.hasOwnProperty.call(fnOrObject, ii) && fnOrObject[ii] instanceof Function) {
          proto[ii] = proto[ii];
        }
      }
      Object.setPrototypeOf(fn, wrap(proto, multi, suffix, true));
    }
    return fn;
  }
};

/**
 * Waits in the current fiber for futures (given as arguments, or arrays of
 * them) to resolve. Does not throw what they throw: get() or wait() each.
 */
(FutureImpl as any).wait = function wait() {
  // Normalize arguments + pull out a FiberFuture for reuse if possible
  const futures: any[] = [];
  let singleFiberFuture: any;
  for (let ii = 0; ii < arguments.length; ++ii) {
    const arg = arguments[ii];
    if (arg instanceof (FutureImpl as any)) {
      // Ignore already resolved fibers
      if (arg.isResolved()) {
        continue;
      }
      // Look for fiber reuse
      if (!singleFiberFuture && arg instanceof (FiberFuture as any) && !arg.started) {
        singleFiberFuture = arg;
        continue;
      }
      futures.push(arg);
    } else if (arg instanceof Array) {
      for (let jj = 0; jj < arg.length; ++jj) {
        const aarg = arg[jj];
        if (aarg instanceof (FutureImpl as any)) {
          // Ignore already resolved fibers
          if (aarg.isResolved()) {
            continue;
          }
          // Look for fiber reuse
          if (!singleFiberFuture && aarg instanceof (FiberFuture as any) && !aarg.started) {
            singleFiberFuture = aarg;
            continue;
          }
          futures.push(aarg);
        } else {
          throw futureError('ERR_NOT_A_FUTURE', aarg + ' is not a future', wait);
        }
      }
    } else {
      throw futureError('ERR_NOT_A_FUTURE', arg + ' is not a future', wait);
    }
  }

  // Resumes current fiber
  const fiber = Fiber.current;
  if (!fiber) {
    throw futureError('ERR_NOT_IN_FIBER', "Can't wait without a fiber", wait);
  }

  // Resolve all futures
  let pending = futures.length + (singleFiberFuture ? 1 : 0);
  function cb() {
    if (!--pending) {
      fiber!.run();
    }
  }
  for (let ii = 0; ii < futures.length; ++ii) {
    futures[ii].resolve(cb);
  }

  // Reusing a fiber?
  if (singleFiberFuture) {
    singleFiberFuture.started = true;
    try {
      singleFiberFuture.return(singleFiberFuture.fn.apply(singleFiberFuture.context, singleFiberFuture.args));
    } catch (e) {
      singleFiberFuture.throw(e);
    }
    --pending;
  }

  // Yield this fiber
  if (pending) {
    Fiber.yield();
  }
};

/** A future that resolves as `promise` settles. */
(FutureImpl as any).fromPromise = function (promise: PromiseLike<unknown>) {
  const future = new (FutureImpl as any)();
  promise.then(
    function (val) {
      future.return(val);
    },
    function (err) {
      future.throw(err);
    },
  );
  return future;
};

FutureImpl.prototype = {
  /** The value; throws what the future threw, or if it has not resolved yet. */
  get: function get(this: any) {
    if (!this.resolved) {
      throw futureError('ERR_FUTURE_NOT_RESOLVED', 'Future must resolve before value is ready', get);
    } else if (this.error) {
      // Link the stack traces up: the error's stack shows where get() was
      // called, then where it was thrown.
      const error = this.error;
      const localStack: { stack?: string } = {};
      Error.captureStackTrace(localStack, FutureImpl.prototype.get);
      let futureStack = Object.getOwnPropertyDescriptor(error, 'futureStack');
      if (!futureStack) {
        futureStack = Object.getOwnPropertyDescriptor(error, 'stack');
        if (futureStack) {
          Object.defineProperty(error, 'futureStack', futureStack);
        }
      }
      if (futureStack && futureStack.get) {
        const getter = futureStack.get;
        Object.defineProperty(error, 'stack', {
          get: function () {
            let stack = getter.apply(error);
            if (stack) {
              stack = stack.split('\n');
              return [stack[0]]
                .concat(localStack.stack!.split('\n').slice(1))
                .concat('    - - - - -')
                .concat(stack.slice(1))
                .join('\n');
            } else {
              return localStack.stack;
            }
          },
          set: function (stack) {
            Object.defineProperty(error, 'stack', {
              value: stack,
              configurable: true,
              enumerable: false,
              writable: true,
            });
          },
          configurable: true,
          enumerable: false,
        });
      }
      throw error;
    } else {
      return this.value;
    }
  },

  /** Resolves the future with `value`; pending callbacks run now. */
  return: function ret(this: any, value: unknown) {
    if (this.resolved) {
      throw futureError('ERR_FUTURE_RESOLVED', 'Future resolved more than once', ret);
    }
    this.value = value;
    this.resolved = true;

    const callbacks = this.callbacks;
    if (callbacks) {
      delete this.callbacks;
      for (let ii = 0; ii < callbacks.length; ++ii) {
        try {
          const ref = callbacks[ii];
          if (ref[1]) {
            ref[1](value);
          } else {
            ref[0](undefined, value);
          }
        } catch (ex) {
          process.nextTick(function () {
            throw ex;
          });
        }
      }
    }
  },

  /** Resolves the future with the exception `error` (which must be truthy); pending callbacks run now. */
  throw: function thr(this: any, error: unknown) {
    if (this.resolved) {
      throw futureError('ERR_FUTURE_RESOLVED', 'Future resolved more than once', thr);
    } else if (!error) {
      throw futureError('ERR_FUTURE_EMPTY_ERROR', 'Must throw non-empty error', thr);
    }
    this.error = error;
    this.resolved = true;

    const callbacks = this.callbacks;
    if (callbacks) {
      delete this.callbacks;
      for (let ii = 0; ii < callbacks.length; ++ii) {
        try {
          const ref = callbacks[ii];
          if (ref[1]) {
            ref[0].throw(error);
          } else {
            ref[0](error);
          }
        } catch (ex) {
          process.nextTick(function () {
            throw ex;
          });
        }
      }
    }
  },

  /** Rethrows what the future throws, from the callback that sees it (to the event loop, typically). */
  detach: function (this: any) {
    this.resolve(function (err: unknown) {
      if (err) {
        throw err;
      }
    });
  },

  isResolved: function (this: any) {
    return this.resolved === true;
  },

  /** A node-style callback (err, value) that resolves this future. */
  resolver: function (this: any) {
    return function (this: any, err: unknown, val: unknown) {
      if (err) {
        this.throw(err);
      } else {
        this.return(val);
      }
    }.bind(this);
  },

  /**
   * Calls back when the future resolves: `errback(err, value)`, or, given a
   * future and a callback, `callback(value)` or `future.throw(err)`.
   */
  resolve: function (this: any, arg1: any, arg2?: any) {
    if (this.resolved) {
      if (arg2) {
        if (this.error) {
          arg1.throw(this.error);
        } else {
          arg2(this.value);
        }
      } else {
        arg1(this.error, this.value);
      }
    } else {
      (this.callbacks = this.callbacks || []).push([arg1, arg2]);
    }
    return this;
  },

  /** Calls back with the value, only if the future returns. */
  resolveSuccess: function (this: any, cb: (value: unknown) => void) {
    this.resolve(function (err: unknown, val: unknown) {
      if (err) {
        return;
      }
      cb(val);
    });
    return this;
  },

  /** Resolves `future` as this one resolves. */
  proxy: function (this: any, future: any) {
    this.resolve(function (err: unknown, val: unknown) {
      if (err) {
        future.throw(err);
      } else {
        future.return(val);
      }
    });
  },

  /** Throws what this future throws into `futures` (one or an array). */
  proxyErrors: function (this: any, futures: any) {
    this.resolve(function (err: unknown) {
      if (!err) {
        return;
      }
      if (futures instanceof Array) {
        for (let ii = 0; ii < futures.length; ++ii) {
          futures[ii].throw(err);
        }
      } else {
        futures.throw(err);
      }
    });
    return this;
  },

  /** A promise that settles as the future resolves. */
  promise: function (this: any) {
    const that = this;
    return new Promise(function (resolve, reject) {
      that.resolve(function (err: unknown, val: unknown) {
        if (err) {
          reject(err);
        } else {
          resolve(val);
        }
      });
    });
  },

  /** Waits in the current fiber for the future, then returns its value or throws its exception. */
  wait: function (this: any) {
    if (this.isResolved()) {
      return this.get();
    }
    (FutureImpl as any).wait(this);
    return this.get();
  },
};

/**
 * A call of `fn` that runs in a fiber of its own (from process.nextTick, or
 * right away in the fiber of a Future.wait() that needs it) and resolves
 * with its result.
 */
function FiberFuture(this: any, fn: Function, context: unknown, args: ArrayLike<unknown>) {
  this.fn = fn;
  this.context = context;
  this.args = args;
  this.started = false;
  const that = this;
  process.nextTick(function () {
    if (!that.started) {
      that.started = true;
      Fiber(function () {
        try {
          that.return(fn.apply(context, args));
        } catch (e) {
          that.throw(e);
        }
      }).run();
    }
  });
}
inherits(FiberFuture, FutureImpl);

/* eslint-enable @typescript-eslint/no-explicit-any */

type FutureResolveFunction<T> = (err: any, val?: T) => void;
type FutureOrFutureArray = Future<any> | Array<Future<any>>;

declare global {
  interface Function {
    /**
     * Added by fringe/fibers/future (as by fibers/future): a function that
     * calls this one in a fiber of its own and returns a future of its
     * result; with `detach`, the future is detached.
     */
    future<T = any>(detach?: boolean): (...args: any[]) => Future<T>;
  }
}

/** A value or exception to come, waited for in a fiber. */
interface Future<T = any> {
  /** The value; throws the future's exception, or an Error (ERR_FUTURE_NOT_RESOLVED) before it resolves. */
  get(): T;
  /** Waits in the current fiber for the future, then returns get(). */
  wait(): T;
  /** Resolves with `value` (ERR_FUTURE_RESOLVED if already resolved). */
  return(value?: T): void;
  /** Resolves with the exception `error`, which must be truthy (ERR_FUTURE_EMPTY_ERROR). */
  throw(error: any): void;
  /** Rethrows the future's exception from the callback that sees it. */
  detach(): void;
  isResolved(): boolean;
  /** A node-style callback that resolves this future. */
  resolver(): FutureResolveFunction<T>;
  resolve(errback: FutureResolveFunction<T>): this;
  resolve(future: Future<any>, callback: (val: T) => void): this;
  resolveSuccess(cb: (val: T) => void): this;
  proxy(future: Future<T>): void;
  proxyErrors(futures: FutureOrFutureArray): this;
  promise(): Promise<T>;
  /** What the wrapped function returned (Future.wrap()). */
  _?: any;
}

interface FutureConstructor {
  new <T = any>(): Future<T>;
  readonly prototype: Future<any>;
  wrap<T = any>(fn: (...args: any[]) => any, multi?: boolean, suffix?: string): (...args: any[]) => Future<T>;
  wrap<O extends object>(object: O, multi?: boolean, suffix?: string): O & any;
  task<T>(fn: () => T): Future<T>;
  task<T = any>(fn1: Function, fn2: Function, ...fns: Function[]): Future<T[]>;
  wait(...futures: FutureOrFutureArray[]): void;
  fromPromise<T>(promise: PromiseLike<T>): Future<T>;
}

const Future = FutureImpl as unknown as FutureConstructor;

export = Future;
