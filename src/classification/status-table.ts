import type { FailureKind } from './failure-kind';

/**
 * The classification rules as data. Pure and frozen; `classifyFacts` is their only interpreter.
 * Retryable statuses follow openai-node's `shouldRetry` (408, 409, 429, >= 500) and Azure
 * core-rest-pipeline's exponential retry strategy (which excludes 501 and 505).
 */

export interface ClassificationRule {
  readonly kind: FailureKind;
  readonly retryable: boolean;
}

/** Statuses `from..to` inclusive. The first matching rule wins, so specific rows come first. */
export interface StatusRule extends ClassificationRule {
  readonly from: number;
  readonly to: number;
}

export const STATUS_RULES: readonly StatusRule[] = deepFreeze([
  { from: 400, to: 400, kind: 'bad_request', retryable: false },
  { from: 401, to: 401, kind: 'auth', retryable: false },
  { from: 403, to: 403, kind: 'auth', retryable: false },
  { from: 404, to: 404, kind: 'bad_request', retryable: false },
  // 408 Request Timeout: the server gave up waiting for us; a fresh attempt may succeed.
  { from: 408, to: 408, kind: 'timeout', retryable: true },
  // 409: OpenAI uses it for lock timeouts (openai-node retries it).
  { from: 409, to: 409, kind: 'server', retryable: true },
  { from: 422, to: 422, kind: 'bad_request', retryable: false },
  { from: 429, to: 429, kind: 'rate_limit', retryable: true },
  // 501 Not Implemented / 505 HTTP Version Not Supported will fail the same way again.
  { from: 501, to: 501, kind: 'server', retryable: false },
  { from: 505, to: 505, kind: 'server', retryable: false },
  { from: 500, to: 599, kind: 'server', retryable: true },
  { from: 400, to: 499, kind: 'bad_request', retryable: false },
]);

/** The rule for an HTTP status, or `undefined` for anything outside 400-599. */
export function ruleForStatus(status: number): ClassificationRule | undefined {
  return STATUS_RULES.find((rule) => status >= rule.from && status <= rule.to);
}

/**
 * Provider error codes that refine a status. A rule applies when the status is one of
 * `statuses`, or when no status is known (e.g. openai's `ContentFilterFinishReasonError`).
 */
export interface ProviderCodeRule extends ClassificationRule {
  readonly code: string;
  readonly statuses: readonly number[];
}

export const PROVIDER_CODE_RULES: readonly ProviderCodeRule[] = deepFreeze([
  // OpenAI: a 429 with code/type `insufficient_quota` is an exhausted billing quota, not a rate limit.
  { code: 'insufficient_quota', statuses: [429], kind: 'quota_exhausted', retryable: false },
  // Azure OpenAI content filtering: 400 with code `content_filter`, innererror `ResponsibleAIPolicyViolation`.
  { code: 'content_filter', statuses: [400], kind: 'content_filter', retryable: false },
  { code: 'ResponsibleAIPolicyViolation', statuses: [400], kind: 'content_filter', retryable: false },
  // The prompt does not fit the model's context window: the same request always fails.
  { code: 'context_length_exceeded', statuses: [400], kind: 'context_length', retryable: false },
]);

/** The first rule whose code is among `codes` (tried in the order given) and whose statuses fit. */
export function ruleForProviderCode(
  codes: readonly (string | undefined)[],
  status: number | undefined,
): ProviderCodeRule | undefined {
  for (const code of codes) {
    if (code === undefined) continue;
    const rule = PROVIDER_CODE_RULES.find((r) => r.code === code);
    if (rule && (status === undefined || rule.statuses.includes(status))) return rule;
  }
  return undefined;
}

/**
 * Codes of a stream's failure events (a Responses `response.failed`'s `response.error.code`, an
 * `error` event's `code`, a `response.incomplete` reason): the stream was a 200, so the code is
 * all there is. Any other code is `unknown`, not retried.
 */
export const STREAM_EVENT_CODE_RULES: Readonly<Record<string, ClassificationRule>> = deepFreeze({
  server_error: { kind: 'server', retryable: true },
  rate_limit_exceeded: { kind: 'rate_limit', retryable: true },
  insufficient_quota: { kind: 'quota_exhausted', retryable: false },
  invalid_prompt: { kind: 'bad_request', retryable: false },
  content_filter: { kind: 'content_filter', retryable: false },
  context_length_exceeded: { kind: 'context_length', retryable: false },
});

export function ruleForStreamEventCode(code: string): ClassificationRule | undefined {
  return Object.prototype.hasOwnProperty.call(STREAM_EVENT_CODE_RULES, code)
    ? STREAM_EVENT_CODE_RULES[code]
    : undefined;
}

/**
 * Transport error codes (Node system errors, undici, Azure's `REQUEST_SEND_ERROR`, axios's own).
 * Everything here except ENOTFOUND is retryable: a DNS "no such host" will not heal in seconds,
 * whereas EAI_AGAIN is the resolver's own "try again".
 */
export const NETWORK_CODE_RULES: Readonly<Record<string, ClassificationRule>> = deepFreeze({
  ECONNRESET: { kind: 'network', retryable: true },
  ECONNREFUSED: { kind: 'network', retryable: true },
  ETIMEDOUT: { kind: 'timeout', retryable: true },
  ESOCKETTIMEDOUT: { kind: 'timeout', retryable: true },
  EPIPE: { kind: 'network', retryable: true },
  EHOSTUNREACH: { kind: 'network', retryable: true },
  ENETUNREACH: { kind: 'network', retryable: true },
  EAI_AGAIN: { kind: 'network', retryable: true },
  ENOTFOUND: { kind: 'network', retryable: false },
  UND_ERR_SOCKET: { kind: 'network', retryable: true },
  UND_ERR_CONNECT_TIMEOUT: { kind: 'timeout', retryable: true },
  UND_ERR_HEADERS_TIMEOUT: { kind: 'timeout', retryable: true },
  UND_ERR_BODY_TIMEOUT: { kind: 'timeout', retryable: true },
  // undici's client closed under a response whose body was being read (only read inside `TypeError: terminated`).
  UND_ERR_CLOSED: { kind: 'network', retryable: true },
  // core-rest-pipeline's code for a send failure whose socket error had no code.
  REQUEST_SEND_ERROR: { kind: 'network', retryable: true },
  // axios: its own `timeout` passed (ECONNABORTED); no response at all (ERR_NETWORK).
  ECONNABORTED: { kind: 'timeout', retryable: true },
  ERR_NETWORK: { kind: 'network', retryable: true },
});

export function ruleForNetworkCode(code: string): ClassificationRule | undefined {
  return Object.prototype.hasOwnProperty.call(NETWORK_CODE_RULES, code) ? NETWORK_CODE_RULES[code] : undefined;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
