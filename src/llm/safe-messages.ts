import type { FailureKind } from '../classification/failure-kind';

/**
 * What end users are told when an LLM call fails for good, by kind of failure. Safe by
 * construction: no stack, key, URL or provider text, only the attempt count. Override any
 * of them with `ResilientLLMService({ safeMessages })`.
 */
export type SafeMessage = string | ((attempts: number) => string);

/**
 * Overrides of the safe messages, by kind of failure (the others keep their defaults).
 *
 * @example
 * ```ts
 * new ResilientLLMService({ safeMessages: { rate_limit: 'Busy, try again in a minute', auth: (n) => `Sign-in problem (${n})` } });
 * ```
 */
export type SafeMessages = Partial<Record<FailureKind, SafeMessage>>;

/** ` (after N attempts)`, or nothing when no attempt was made. */
const after = (attempts: number) => (attempts > 0 ? ` (after ${attempts} attempt${attempts === 1 ? '' : 's'})` : '');

/** The message shown to end users for each kind of failure, unless `safeMessages` overrides it. */
export const DEFAULT_SAFE_MESSAGES: Readonly<Record<FailureKind, SafeMessage>> = Object.freeze({
  network: (attempts: number) => `Connection error with the LLM service${after(attempts)}`,
  timeout: (attempts: number) => `The LLM service did not respond in time${after(attempts)}`,
  rate_limit: (attempts: number) => `The LLM service is rate limiting requests${after(attempts)}`,
  server: (attempts: number) => `The LLM service is having problems${after(attempts)}`,
  quota_exhausted: 'The LLM service quota is exhausted',
  auth: 'Authentication with the LLM service failed',
  content_filter: "The request was rejected by the LLM service's content filter",
  context_length: 'The conversation is too long for the LLM service',
  bad_request: 'The LLM service rejected the request',
  aborted: 'The request was cancelled',
  circuit_open: 'The LLM service is temporarily unavailable',
  unknown: (attempts: number) => `The LLM service request failed${after(attempts)}`,
});

export function safeMessageFor(kind: FailureKind, attempts: number, overrides?: SafeMessages): string {
  const message = overrides?.[kind] ?? DEFAULT_SAFE_MESSAGES[kind] ?? DEFAULT_SAFE_MESSAGES.unknown;
  return typeof message === 'function' ? message(attempts) : message;
}
