import { classifyError } from '../classification/classify-error';
import type { ErrorClassification } from '../classification/failure-kind';
import { isPlainObject } from '../internal/option-checks';
import { isAttemptTimeoutError } from '../strategies/timeout/timeout-errors';

/**
 * What a failed attempt was: the method's predicate (`shouldRetry`) decides whether it is
 * retried; `classifyError` names it for the logs and events. A predicate that throws says no.
 */
export function classifyFailure(
  error: unknown,
  shouldRetry: (error: unknown) => boolean,
  /** The call's arguments: a request id found in them is the server echoing the request. */
  args?: readonly unknown[],
): ErrorClassification {
  if (isAttemptTimeoutError(error)) return { kind: 'timeout', retryable: true, reason: 'attempt timeout' };
  let classification = classifyError(error);
  if (classification.requestId !== undefined && args !== undefined && occursIn(classification.requestId, args)) {
    // A prompt (or a value from it) sent back as `x-request-id` must not reach logs and traces.
    const { requestId: _echo, ...rest } = classification;
    classification = rest;
  }
  let retryable: boolean;
  try {
    retryable = shouldRetry(error) === true;
  } catch {
    retryable = false;
  }
  if (retryable === classification.retryable) return classification;
  return {
    ...classification,
    retryable,
    reason: retryable ? 'shouldRetry' : `not retryable: ${classification.reason}`,
  };
}

/** How deep, and how many values, the arguments are searched for an echoed request id. */
const MAX_DEPTH = 6;
const MAX_VISITS = 10_000;

/**
 * True when `text` occurs in a string among `values`, searched through arrays and plain
 * objects (a chat request's `messages[i].content[j].text`); class instances (clients,
 * configs) are not the request and are not searched.
 */
function occursIn(text: string, values: readonly unknown[]): boolean {
  let visits = 0;
  const walk = (value: unknown, depth: number): boolean => {
    if (++visits > MAX_VISITS) return false;
    if (typeof value === 'string') return value.includes(text);
    if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return false;
    if (Array.isArray(value)) {
      // Newest last (a conversation's latest message, the likeliest echoed): searched first.
      for (let i = value.length - 1; i >= 0; i--) if (walk(value[i], depth + 1)) return true;
      return false;
    }
    if (!isPlainObject(value)) return false;
    try {
      return Object.keys(value).some((key) => walk(value[key], depth + 1));
    } catch {
      return false; // a getter that throws
    }
  };
  return values.some((value) => walk(value, 0));
}

/** The response headers an SDK error carries (openai: `headers`; RestError: `response.headers`). */
export function headersOf(error: unknown): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  const { headers, response } = error as { headers?: unknown; response?: { headers?: unknown } };
  return headers ?? response?.headers;
}
