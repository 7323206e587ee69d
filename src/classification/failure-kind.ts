/** What went wrong, in provider-neutral terms. */
export type FailureKind =
  | 'rate_limit'
  | 'quota_exhausted'
  | 'server'
  | 'timeout'
  | 'network'
  | 'auth'
  | 'bad_request'
  | 'content_filter'
  | 'context_length'
  | 'aborted'
  | 'circuit_open'
  | 'unknown';

/**
 * The verdict on one failed attempt, as `classifyError` returns it.
 *
 * @example
 * ```ts
 * const { kind, retryable, retryAfterMs } = classifyError(error);
 * if (kind === 'quota_exhausted') alertBilling();
 * ```
 */
export interface ErrorClassification {
  /** What went wrong, in provider-neutral terms (`'rate_limit'`, `'server'`, `'unknown'`, ...). */
  kind: FailureKind;
  /** Whether another attempt may succeed: what the `shouldRetry…` predicates return. */
  retryable: boolean;
  /**
   * Short, machine-friendly and drawn from a fixed vocabulary (`'status 429'`, `'insufficient_quota'`,
   * `'ECONNRESET'`, `'x-should-retry: false'`, ...). Never the provider's message, which can echo
   * prompt text or credentials.
   */
  reason: string;
  /** What the server asked for (`retry-after-ms`, `x-ms-retry-after-ms`, `retry-after`), uncapped. */
  retryAfterMs?: number;
  /** HTTP status of the failed response, when there was one. */
  status?: number;
  /**
   * The provider's request id (openai's `requestID`, or the `x-request-id`,
   * `apim-request-id` or `x-ms-request-id` header): quote it to support. Present only when it
   * is a plain id token (letters, digits and `-_.:`, at most 128 characters); any other value
   * is dropped, never cut, so that header text cannot reach logs, events or errors.
   */
  requestId?: string;
}

/**
 * The normalised facts an adapter extracts from one provider's error shape. Adapters only
 * observe; the single policy (`classifyFacts`) decides kind and retryability from these.
 */
export interface ErrorFacts {
  /** Which adapter recognised the error. */
  source: 'openai' | 'azure' | 'credential' | 'network' | 'library';
  /** HTTP status of the failed response, when there was one. */
  status?: number;
  /** The response's header bag (WHATWG `Headers`, Azure `HttpHeaders` or a plain object). */
  headers?: unknown;
  /** The body's `error.code` (or a RestError's non-network `code`). */
  providerCode?: string;
  /** The body's `error.type` (OpenAI sends `insufficient_quota` there too). */
  providerType?: string;
  /** Azure's `error.innererror.code`, e.g. `ResponsibleAIPolicyViolation`. */
  innerCode?: string;
  /** A Node, undici or Azure transport code (`ECONNRESET`, `UND_ERR_SOCKET`, `REQUEST_SEND_ERROR`). */
  networkCode?: string;
  requestId?: string;
  /** The request never got a response (refused, reset, DNS, ...). */
  isConnectionError?: boolean;
  /** A client-side or transport timeout. */
  isTimeout?: boolean;
  /** The caller's own abort signal fired. */
  isUserAbort?: boolean;
  /** An `@azure/identity` credential error, possibly wrapped. */
  isCredentialError?: boolean;
  /** The library's own circuit breaker refused the call: nothing reached the upstream. */
  isCircuitOpen?: boolean;
  /** The library held the call back: the upstream's cooldown or pacing outlasts the call's bounds. */
  isUpstreamThrottled?: boolean;
  /**
   * A stream's failure event (`response.failed`, `error`, or the SDK's error thrown from a 200
   * stream's SSE error): its code, `''` when it had none. Decides after the provider codes.
   */
  streamEventCode?: string;
}
