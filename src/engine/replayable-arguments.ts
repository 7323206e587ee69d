import { isErrored, Readable } from 'node:stream';
import type { RetryDecision } from '../strategies/retry/retry-decision';
import type { AttemptFailure, CallState, Stage } from '../strategies/stage';

/**
 * Arguments that cannot be sent twice. A request body that is a stream is consumed by the
 * attempt that sends it: a retry would send nothing (or fail with a connection error that
 * hides the attempt's real failure). After a failed attempt the replay guard (a stage) asks
 * `unreplayableArgument` whether the call's arguments can still be sent; when one cannot,
 * the call ends with the attempt's own error (`argument_not_replayable`).
 *
 * Only looked at after a failure the retry stage would retry, by shape (no `instanceof`: a
 * stream may come from another realm or package), never reading what a value holds: a few
 * well-known properties of each value (`locked`, `bodyUsed`, `readableEnded`, ...), and inside
 * plain objects and arrays their own enumerable data properties (getters are not run), a
 * bounded number of them. A value that throws when looked at counts as replayable.
 */

/** How deep into plain objects and arrays the arguments are looked at: `arg.body`, `arg.options.body`. */
const MAX_DEPTH = 2;
/** Properties (or items) looked at per object or array. */
const MAX_PROPERTIES = 32;
/** Values looked at in all, per call. */
const MAX_VALUES = 256;

/**
 * A short description of the first argument of `args` that cannot be sent again (e.g.
 * `argument 1 (a ReadableStream already read)`, `argument 2, property file (a Readable
 * stream already read)`), or `undefined` when all can. Never says what a value holds.
 *
 * Not replayable: a `ReadableStream` locked, read, cancelled or failed; a Node `Readable`
 * read, ended or destroyed; an async iterator (an async generator object, `stream.values()`:
 * iterators are one-shot); a `Request` or `Response` whose body was used. Replayable: strings,
 * buffers, Blobs, FormData, an async *iterable* that makes a fresh iterator each time, a
 * stream nobody has touched yet.
 */
export function unreplayableArgument(args: readonly unknown[]): string | undefined {
  const budget = { left: MAX_VALUES };
  const count = Math.min(args.length, MAX_PROPERTIES);
  for (let index = 0; index < count; index++) {
    const found = search(args[index], 0, budget);
    if (found !== undefined) return `argument ${index + 1}${found}`;
  }
  return undefined;
}

/** Giving up on a call (`argument_not_replayable`), the reason of its `retry_not_retryable` event. */
const NOT_REPLAYABLE: RetryDecision = Object.freeze({ retry: false, reason: 'argument_not_replayable' });

/**
 * The replay guard, a stage right after the retry stage: a retry it decided is given up when
 * one of the call's arguments cannot be sent again (before the retry budget pays for it). The
 * not-retried line (at `warn`) and the `retry_not_retryable` event carry the reason. Not used
 * for streams (an async-generator method), whose rules stand apart.
 */
export class ReplayGuardStage implements Stage {
  constructor(private readonly args: readonly unknown[]) {}

  afterFailure(_call: CallState, failure: AttemptFailure): void {
    if (failure.decision.retry && unreplayableArgument(this.args) !== undefined) failure.decision = NOT_REPLAYABLE;
  }
}

/** `' (what)'` or `', property p (what)'` for `value` or what it holds, else undefined. */
function search(value: unknown, depth: number, budget: { left: number }): string | undefined {
  if (--budget.left < 0 || typeof value !== 'object' || value === null) return undefined;
  let what: string | undefined;
  try {
    what = spentValue(value);
  } catch {
    return undefined;
  }
  if (what !== undefined) return ` (${what})`;
  if (depth >= MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const count = Math.min(value.length, MAX_PROPERTIES);
    for (let index = 0; index < count; index++) {
      const found = search(ownData(value, String(index)), depth + 1, budget);
      if (found !== undefined) return `, item ${index}${found}`;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  let seen = 0;
  for (const key in value) {
    if (seen++ >= MAX_PROPERTIES || budget.left <= 0) break;
    const found = search(ownData(value, key), depth + 1, budget);
    if (found !== undefined) return `, property ${nameOf(key)}${found}`;
  }
  return undefined;
}

/** An own data property's value; undefined for a getter (user code: not run) or a missing one. */
function ownData(value: object, key: string): unknown {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    return descriptor !== undefined && 'value' in descriptor ? descriptor.value : undefined;
  } catch {
    return undefined;
  }
}

/** What makes `value` unable to be sent again, or undefined. */
function spentValue(value: object): string | undefined {
  const target = value as Record<PropertyKey, unknown>;
  if (isWebStream(target)) {
    if (errored(value)) return 'a ReadableStream that failed';
    if (disturbed(value)) return 'a ReadableStream already read';
    if (target.locked === true) return 'a locked ReadableStream';
    return undefined;
  }
  if (isNodeReadable(target)) {
    if (target.readableDidRead === true || target.readableEnded === true) return 'a Readable stream already read';
    if (target.destroyed === true) return 'a destroyed Readable stream';
    return disturbed(value) ? 'a Readable stream already read' : undefined;
  }
  if (typeof target.bodyUsed === 'boolean') {
    const kind = tagOf(value) === 'Response' ? 'a Response' : 'a Request';
    if (target.bodyUsed) return `${kind} whose body was used`;
    const body = target.body as Record<PropertyKey, unknown> | null | undefined;
    if (body !== null && typeof body === 'object' && body.locked === true) return `${kind} whose body is locked`;
    return undefined;
  }
  // An iterator (it has `next`) is one-shot; an iterable that makes a fresh one each time is not.
  if (typeof target[Symbol.asyncIterator] === 'function' && typeof target.next === 'function') {
    return 'an async iterator, which can be read only once';
  }
  return undefined;
}

/** A WHATWG `ReadableStream` (any implementation): `getReader`, `locked`. */
function isWebStream(value: Record<PropertyKey, unknown>): boolean {
  return typeof value.getReader === 'function' && typeof value.locked === 'boolean';
}

/** A Node `stream.Readable` (also `fs.ReadStream`, an `IncomingMessage`). */
function isNodeReadable(value: Record<PropertyKey, unknown>): boolean {
  return typeof value.pipe === 'function' && typeof value.read === 'function' && typeof value.on === 'function';
}

/** Node's own record of a stream read or cancelled (its web streams and Readables); false when it cannot tell. */
function disturbed(value: object): boolean {
  try {
    return Readable.isDisturbed(value as Readable);
  } catch {
    return false;
  }
}

function errored(value: object): boolean {
  try {
    return isErrored(value as Readable);
  } catch {
    return false;
  }
}

/** A plain object (a request's options, `{ body }`, `{ file }`): looked into. */
function isPlainObject(value: object): boolean {
  try {
    const prototype: unknown = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
  } catch {
    return false;
  }
}

function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value).slice(8, -1);
  } catch {
    return '';
  }
}

/** A property's name when it reads as an identifier (a key may be data: then only its kind). */
function nameOf(key: string): string {
  return /^[A-Za-z_$][\w$]{0,31}$/.test(key) ? key : '(unnamed)';
}
