// Errors with stable codes, in the words of the JS<->C++ contract
// (lib/contract.ts, generated from native/addon/contract.json like the
// addon's contract.h): lib and the addon throw the same class, code and
// message for the same mistake, whichever of them sees it.

import { ERRORS, EXPECTED, type ErrorCode, type ErrorId, type ExpectedId } from './contract';

export type { ErrorCode };

export interface FringeError extends Error {
  code: ErrorCode;
}

/** Values for the {name}s of a message template. */
export type MessageParams = Readonly<Record<string, string | number>>;

// Fills the {name}s of a template; a {name} without a value stays as it is
// (the addon's Format() does the same).
function format(template: string, params: MessageParams): string {
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : placeholder,
  );
}

const classes = { Error, TypeError, RangeError } as const;

function make(id: ErrorId, params: MessageParams, caller: Function): FringeError {
  const spec = ERRORS[id];
  const e = new classes[spec.type](format(spec.message, params));
  Object.defineProperty(e, 'code', { value: spec.code, enumerable: true, writable: true, configurable: true });
  Error.captureStackTrace?.(e, caller);
  return e as FringeError;
}

/** The error `id` of the contract. */
export function error(id: ErrorId, params: MessageParams = {}): FringeError {
  return make(id, params, error);
}

/** What an argument should have been, for typeError() and rangeError(). */
export function expected(id: ExpectedId, params: MessageParams = {}): string {
  return format(EXPECTED[id], params);
}

/**
 * What was received, for a message; the addon asks this function too
 * (setHooks), so both sides describe a value alike. Inspecting a hostile
 * value (a revoked Proxy, a throwing getter) must not replace the error
 * being reported.
 */
export function describe(value: unknown): string {
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

/** TypeError ERR_INVALID_ARG_TYPE: "Expected <argument> to be <expected>, got <received>". */
export function typeError(argument: string, expected: string, received: unknown): TypeError {
  return make('invalidArgType', { argument, expected, received: describe(received) }, typeError) as TypeError & FringeError;
}

/** RangeError ERR_OUT_OF_RANGE, in the same words. */
export function rangeError(argument: string, expected: string, received: unknown): RangeError {
  return make('argOutOfRange', { argument, expected, received: describe(received) }, rangeError) as RangeError & FringeError;
}
