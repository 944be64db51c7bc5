// Errors with stable codes, and argument checks whose messages name the
// argument and what was expected (the native side uses the same wording).

export type ErrorCode =
  | 'ERR_GENERATOR_DONE'
  | 'ERR_GENERATOR_RUNNING'
  | 'ERR_GENERATOR_NOT_DONE'
  | 'ERR_NOT_IN_GENERATOR'
  | 'ERR_WRONG_GENERATOR'
  | 'ERR_OWNED_BY_RUN'
  | 'ERR_SUSPEND_IN_RUN'
  | 'ERR_ASYNC_SCOPE'
  | 'ERR_SUSPEND_IN_ASYNC_SCOPE'
  | 'ERR_SUSPEND_IN_VM_TIMEOUT'
  | 'ERR_SUSPEND_IN_EXIT'
  | 'ERR_SUSPEND_IN_JOIN'
  | 'ERR_SUSPEND_IN_MICROTASK'
  | 'ERR_SUSPEND_IN_DEBUGGER'
  | 'ERR_STACK_IN_USE'
  | 'ERR_STACK_RELEASED'
  | 'ERR_STACK_ALLOCATION'
  | 'ERR_UNSUPPORTED_RUNTIME'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_OUT_OF_RANGE';

export interface FringeError extends Error {
  code: ErrorCode;
}

function withCode<E extends Error>(error: E, code: ErrorCode): E & { code: ErrorCode } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & { code: ErrorCode };
}

export function error(code: ErrorCode, message: string): FringeError {
  const e = withCode(new Error(message), code);
  Error.captureStackTrace?.(e, error);
  return e;
}

// What was received, for a message. Inspecting a hostile value (a revoked
// Proxy, a throwing getter) must not replace the error being reported.
function describe(value: unknown): string {
  try {
    return describeUnsafe(value);
  } catch {
    return typeof value === 'function' ? 'a function' : 'an object';
  }
}

function describeUnsafe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return value.constructor?.name ? `an instance of ${value.constructor.name}` : 'an object';
    case 'function':
      return 'a function';
    case 'string':
      return `a string (${JSON.stringify(value.length > 20 ? value.slice(0, 20) + '...' : value)})`;
    case 'undefined':
      return 'undefined';
    default:
      return `${typeof value} (${String(value)})`;
  }
}

export function typeError(argument: string, expected: string, received: unknown): TypeError {
  const e = withCode(new TypeError(`Expected ${argument} to be ${expected}, got ${describe(received)}`), 'ERR_INVALID_ARG_TYPE');
  Error.captureStackTrace?.(e, typeError);
  return e;
}

export function rangeError(argument: string, expected: string, received: unknown): RangeError {
  const e = withCode(new RangeError(`Expected ${argument} to be ${expected}, got ${describe(received)}`), 'ERR_OUT_OF_RANGE');
  Error.captureStackTrace?.(e, rangeError);
  return e;
}
