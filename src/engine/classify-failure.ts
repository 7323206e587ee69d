import { classifyError } from '../classification/classify-error';
import type { ErrorClassification } from '../classification/failure-kind';
import { isAttemptTimeoutError } from '../strategies/timeout/timeout-errors';

/**
 * What a failed attempt was: the method's predicate (`shouldRetry`) decides whether it is
 * retried; `classifyError` names it for the logs and events. A predicate that throws says no.
 */
export function classifyFailure(error: unknown, shouldRetry: (error: unknown) => boolean): ErrorClassification {
  if (isAttemptTimeoutError(error)) return { kind: 'timeout', retryable: true, reason: 'attempt timeout' };
  const classification = classifyError(error);
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

/** The response headers an SDK error carries (openai: `headers`; RestError: `response.headers`). */
export function headersOf(error: unknown): unknown {
  if (error === null || typeof error !== 'object') return undefined;
  const { headers, response } = error as { headers?: unknown; response?: { headers?: unknown } };
  return headers ?? response?.headers;
}
