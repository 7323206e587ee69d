import type { ErrorClassification } from '../classification/failure-kind';
import type { ResilienceLogger } from './default-logger';
import { redactText } from './redact-secrets';

/**
 * The engine's log lines. They carry only the method, error class, kind, status and
 * request id, never a provider's raw message: that can hold prompt text or a key.
 */
export interface FailureFacts {
  method: string;
  /** What the call is about, for the line's text only (e.g. `agent support, model gpt-4o`). */
  detail?: string;
  attempt: number;
  maxAttempts: number;
  errorType: string;
  classification: ErrorClassification;
}

export function logRetry(logger: ResilienceLogger, facts: FailureFacts, delayMs: number): void {
  const text = `Retrying ${named(facts)} in ${(delayMs / 1000).toFixed(2)}s (attempt ${facts.attempt}/${facts.maxAttempts} failed: ${describe(facts)})`;
  write(logger, 'warn', text, meta(facts, Math.round(delayMs)));
}

export function logExhausted(logger: ResilienceLogger, facts: FailureFacts): void {
  const text = `Giving up on ${named(facts)} after ${facts.attempt} attempts (${describe(facts)})`;
  write(logger, 'error', text, meta(facts));
}

export function logDeadline(logger: ResilienceLogger, facts: FailureFacts, totalTimeoutMs: number): void {
  const text = `Giving up on ${named(facts)} at attempt ${facts.attempt}/${facts.maxAttempts}: total timeout of ${totalTimeoutMs} ms leaves no room for another attempt (${describe(facts)})`;
  write(logger, 'error', text, meta(facts));
}

/**
 * A failure not retried. Said at `warn` when operations must see it — our credentials were
 * refused (`auth`), the quota is spent (`quota_exhausted`), the upstream asked to wait longer
 * than `maxRetryAfterMs`, or an argument the attempt consumed cannot be resent — else at
 * `debug` (the caller gets the error and decides).
 */
export function logNotRetried(logger: ResilienceLogger, facts: FailureFacts, reason: string): void {
  const text = `${named(facts)} failed at attempt ${facts.attempt}/${facts.maxAttempts} and is not retried: ${reason} (${describe(facts)})`;
  write(logger, mustBeSeen(facts.classification.kind, reason) ? 'warn' : 'debug', text, { ...meta(facts), reason });
}

/** Failure kinds whose not-retried line is a `warn`: they need someone to act. */
const ACTIONABLE_KINDS: ReadonlySet<string> = new Set(['auth', 'quota_exhausted']);

function mustBeSeen(kind: string, reason: string): boolean {
  return ACTIONABLE_KINDS.has(kind) || reason === 'retry_after_exceeds_max' || reason === 'argument_not_replayable';
}

/**
 * A bound of the call (its deadline, its maxRetryAfterMs) ended it before any attempt was
 * made: said at `warn`, since nothing reached the upstream. `text` is built by the library
 * from the method's name and numbers only.
 */
export function logNotAttempted(
  logger: ResilienceLogger,
  method: string,
  text: string,
  fields: { kind: string; reason: string; wait: string },
): void {
  write(logger, 'warn', text, { method, attempt: 0, ...fields });
}

export function logRecovered(logger: ResilienceLogger, method: string, attempt: number, maxAttempts: number): void {
  write(logger, 'debug', `${method} succeeded at attempt ${attempt}/${maxAttempts}`, { method, attempt, maxAttempts });
}

/** The method as a line names it: with the call's detail, when it has one. */
function named(facts: FailureFacts): string {
  return facts.detail === undefined ? facts.method : `${facts.method} (${facts.detail})`;
}

/** A request id comes from a response header: scrub it like any other text from outside. */
function safeRequestId(facts: FailureFacts): string | undefined {
  const { requestId } = facts.classification;
  return requestId === undefined ? undefined : redactText(requestId);
}

export function logCircuitTransition(
  logger: ResilienceLogger,
  key: string,
  transition: { to: string; failures: number; retryAfterMs?: number },
): void {
  if (transition.to === 'open') {
    const wait =
      transition.retryAfterMs === undefined
        ? ''
        : `; calls fail fast for ${(transition.retryAfterMs / 1000).toFixed(1)}s`;
    // `upstream`, not `key`: redactSecrets (the default logger's format) hides fields named key.
    write(logger, 'warn', `Circuit for ${key} opened after ${transition.failures} failures${wait}`, {
      upstream: key,
      failures: transition.failures,
    });
  } else {
    const text =
      transition.to === 'half_open'
        ? `Circuit for ${key} is half-open: letting a probe through`
        : `Circuit for ${key} closed`;
    write(logger, 'info', text, { upstream: key });
  }
}

export function logBudgetExhausted(logger: ResilienceLogger, key: string): void {
  write(logger, 'warn', `Retry budget for ${key} is exhausted: failures are not retried until successes refill it`, {
    upstream: key,
  });
}

function describe(facts: FailureFacts): string {
  const { kind, status } = facts.classification;
  const requestId = safeRequestId(facts);
  const head = status === undefined ? `${kind} ${facts.errorType}` : `${kind} ${status}`;
  return requestId ? `${head}, request ${requestId}` : head;
}

function meta(facts: FailureFacts, delayMs?: number): Record<string, unknown> {
  const { kind, status } = facts.classification;
  const requestId = safeRequestId(facts);
  return {
    method: facts.method,
    attempt: facts.attempt,
    maxAttempts: facts.maxAttempts,
    ...(delayMs === undefined ? {} : { delayMs }),
    kind,
    status,
    requestId,
    errorType: facts.errorType,
  };
}

function write(
  logger: ResilienceLogger,
  level: 'error' | 'warn' | 'info' | 'debug',
  text: string,
  fields: Record<string, unknown>,
): void {
  try {
    logger[level](text, fields);
  } catch {
    // A broken logger must not break the call it reports on.
  }
}

/** The error's class name: openai's errors all have `name === 'Error'`, their classes do not. */
export function errorTypeOf(error: unknown): string {
  if (error === null || error === undefined) return String(error);
  if (typeof error !== 'object' && typeof error !== 'function') return typeof error;
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object') {
    return constructorName;
  }
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : 'Object';
}
