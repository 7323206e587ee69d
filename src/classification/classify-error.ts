import { credentialErrorFacts, pipelineTimeoutFacts, restErrorFacts } from './adapters/azure-rest-error-facts';
import { libraryErrorFacts } from './adapters/library-error-facts';
import {
  bodyCutErrorFacts,
  fetchErrorFacts,
  httpClientErrorFacts,
  nodeSystemErrorFacts,
} from './adapters/network-error-facts';
import { openAIErrorFacts } from './adapters/openai-error-facts';
import { BRANDS, hasBrand } from '../internal/brands';
import { readHeader } from '../internal/headers';
import { containsKnownSecret } from '../internal/known-secrets';
import { parseRetryAfterMs } from './retry-after';
import type { ErrorClassification, ErrorFacts, FailureKind } from './failure-kind';
import { ruleForNetworkCode, ruleForProviderCode, ruleForStatus, ruleForStreamEventCode } from './status-table';

/** Extracts facts from the error shapes it knows, or `undefined` for any other value. */
export type ErrorFactsAdapter = (error: unknown) => ErrorFacts | undefined;

/**
 * The scopes differ only in which adapters they consult (first match wins).
 * Credential errors come first: @azure/identity's `AuthenticationError` shares a class name
 * with openai's, and a wrapped credential error must win over its wrapper. A body cut mid-stream
 * (`TypeError: terminated`) is in every scope: the openai SDK lets undici's error through as is.
 */
const OPENAI_ADAPTERS: readonly ErrorFactsAdapter[] = [libraryErrorFacts, openAIErrorFacts, bodyCutErrorFacts];
const AZURE_ADAPTERS: readonly ErrorFactsAdapter[] = [
  libraryErrorFacts,
  credentialErrorFacts,
  openAIErrorFacts,
  bodyCutErrorFacts,
  restErrorFacts,
  pipelineTimeoutFacts,
  nodeSystemErrorFacts,
];
const NETWORK_ADAPTERS: readonly ErrorFactsAdapter[] = [...AZURE_ADAPTERS, httpClientErrorFacts, fetchErrorFacts];

const UNRECOGNISED: ErrorClassification = Object.freeze({
  kind: 'unknown',
  retryable: false,
  reason: 'unrecognised error',
});

/**
 * Request ids reach logs, trace events and errors, so only a plain id token gets through:
 * letters, digits and `-_.:`, 1 to 128 characters. Anything else (spaces, newlines, quotes,
 * slashes, unicode, a longer value) is dropped whole, never cut: a server echoing the prompt in
 * `x-request-id` must not put it into warn lines. Real ids fit (`req_…`, UUIDs, Azure's ids).
 */
const REQUEST_ID_TOKEN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Classifies any thrown value: errors of the `openai` SDK (also `AzureOpenAI`'s),
 * `@azure/core-rest-pipeline` `RestError`s, `@azure/identity` credential errors, Node,
 * undici and `fetch` connection errors, errors of axios, got and ky, a thrown `fetch`
 * `Response`, and the library's own errors. Unknown shapes give
 * `{ kind: 'unknown', retryable: false }`. Never throws.
 *
 * @param nowMs - The current time (epoch ms), to turn an HTTP-date Retry-After into a delay.
 *
 * @example
 * ```ts
 * try {
 *   await client.chat.completions.create(request);
 * } catch (error) {
 *   const verdict = classifyError(error);
 *   // e.g. { kind: 'rate_limit', retryable: true, reason: 'status 429', retryAfterMs: 2000, status: 429, requestId: 'req_abc' }
 *   logger.warn('LLM call failed', verdict);
 * }
 * ```
 */
export function classifyError(error: unknown, nowMs: number = Date.now()): ErrorClassification {
  return classifyWith(NETWORK_ADAPTERS, error, nowMs) ?? { ...UNRECOGNISED };
}

/**
 * openai SDK errors (also AzureOpenAI's), with the network errors they wrap, and a response body
 * cut mid-way (`TypeError: terminated`, which the SDK lets through unwrapped).
 */
export function classifyOpenAIError(error: unknown, nowMs: number = Date.now()): ErrorClassification | undefined {
  return classifyWith(OPENAI_ADAPTERS, error, nowMs);
}

/** openai SDK errors plus core-rest-pipeline `RestError`s, @azure/identity credential errors and Node system errors. */
export function classifyAzureError(error: unknown, nowMs: number = Date.now()): ErrorClassification | undefined {
  return classifyWith(AZURE_ADAPTERS, error, nowMs);
}

/**
 * Everything `classifyAzureError` knows plus bare undici errors, `fetch` TypeErrors, AbortSignal
 * DOMExceptions, and the errors of axios, got and ky and a thrown `fetch` `Response` (by shape).
 */
export function classifyNetworkError(error: unknown, nowMs: number = Date.now()): ErrorClassification | undefined {
  return classifyWith(NETWORK_ADAPTERS, error, nowMs);
}

/**
 * True when an error of the `openai` SDK (also `AzureOpenAI`'s) is worth another attempt:
 * 408, 409, 429 (not `insufficient_quota`), 5xx except 501/505, connection errors,
 * timeouts, and a body cut mid-way (undici's `TypeError: terminated`, cause `UND_ERR_SOCKET`:
 * how a stream cut before its first item surfaces); an `x-should-retry` header wins. False
 * for anything else, unknown shapes included. The predicate of `@RetryOpenAI`.
 *
 * @example
 * ```ts
 * @Retry({ shouldRetry: (error) => shouldRetryOpenAIError(error) && !isStreamInterruptedError(error) })
 * ```
 */
export function shouldRetryOpenAIError(error: unknown): boolean {
  return classifyOpenAIError(error)?.retryable === true;
}

/**
 * `shouldRetryOpenAIError`, plus `@azure/core-rest-pipeline` `RestError`s (by status and
 * code) and Node connection errors; never `@azure/identity` credential errors. The
 * predicate of `@RetryAzure`.
 *
 * @example
 * ```ts
 * @Retry({ shouldRetry: shouldRetryAzureError, maxAttempts: 5 })
 * ```
 */
export function shouldRetryAzureError(error: unknown): boolean {
  return classifyAzureError(error)?.retryable === true;
}

/**
 * `shouldRetryAzureError`, plus bare Node, undici and `fetch` connection errors
 * (`ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `UND_ERR_SOCKET`, `fetch failed`, ...) and the
 * errors of axios, got and ky or a thrown `fetch` `Response`, by status (408, 429, 5xx, ...)
 * and transport code; a cancel (`ERR_CANCELED`) is not retried. The predicate of `@RetryNetwork`.
 *
 * @example
 * ```ts
 * const retryable = shouldRetryNetworkError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })); // true
 * ```
 */
export function shouldRetryNetworkError(error: unknown): boolean {
  return classifyNetworkError(error)?.retryable === true;
}

/**
 * THE policy: facts -> classification, using the rule tables. Precedence: the caller's abort,
 * credential errors, provider codes that refine a status, the status, the transport code,
 * then the timeout/connection flags; finally `x-should-retry`, which openai-node obeys above all.
 */
export function classifyFacts(facts: ErrorFacts, nowMs: number): ErrorClassification {
  const verdict = decide(facts);
  const result: ErrorClassification = { kind: verdict.kind, retryable: verdict.retryable, reason: verdict.reason };

  const override = readHeader(facts.headers, 'x-should-retry')?.trim().toLowerCase();
  if (override === 'true' || override === 'false') {
    result.retryable = override === 'true';
    result.reason = `x-should-retry: ${override}`;
  }

  if (facts.headers !== undefined) {
    const retryAfterMs = parseRetryAfterMs(facts.headers, nowMs);
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  }
  if (facts.status !== undefined) result.status = facts.status;
  if (
    typeof facts.requestId === 'string' &&
    REQUEST_ID_TOKEN.test(facts.requestId) &&
    !containsKnownSecret(facts.requestId)
  ) {
    result.requestId = facts.requestId;
  }
  return result;
}

interface Verdict {
  kind: FailureKind;
  retryable: boolean;
  reason: string;
}

function decide(facts: ErrorFacts): Verdict {
  if (facts.isUserAbort) return { kind: 'aborted', retryable: false, reason: 'aborted by caller' };
  if (facts.isCredentialError) return { kind: 'auth', retryable: false, reason: 'credential error' };
  if (facts.isCircuitOpen) return { kind: 'circuit_open', retryable: false, reason: 'circuit open' };
  // Already waited on as long as the caller allows: another attempt now would only wait again.
  if (facts.isUpstreamThrottled) return { kind: 'rate_limit', retryable: false, reason: 'upstream throttled' };
  // Reasons echo only codes found in our tables, never free text from the provider.
  const codeRule = ruleForProviderCode([facts.providerCode, facts.providerType, facts.innerCode], facts.status);
  if (codeRule) return { kind: codeRule.kind, retryable: codeRule.retryable, reason: codeRule.code };
  if (facts.streamEventCode !== undefined) {
    const rule = ruleForStreamEventCode(facts.streamEventCode);
    return rule
      ? { ...rule, reason: facts.streamEventCode }
      : { kind: 'unknown', retryable: false, reason: 'stream event' };
  }

  if (facts.status !== undefined) {
    const statusRule = ruleForStatus(facts.status);
    const reason = `status ${facts.status}`;
    return statusRule ? { ...statusRule, reason } : { kind: 'unknown', retryable: false, reason };
  }

  if (facts.networkCode !== undefined) {
    const networkRule = ruleForNetworkCode(facts.networkCode);
    if (networkRule) return { ...networkRule, reason: facts.networkCode };
  }
  if (facts.isTimeout) return { kind: 'timeout', retryable: true, reason: 'timeout' };
  if (facts.isConnectionError) return { kind: 'network', retryable: true, reason: 'connection error' };
  return { kind: 'unknown', retryable: false, reason: `unclassified ${facts.source} error` };
}

function classifyWith(
  adapters: readonly ErrorFactsAdapter[],
  error: unknown,
  nowMs: number,
): ErrorClassification | undefined {
  try {
    // A stream broken after its commit point: what broke it, never retried (the caller saw part of it).
    if (hasBrand(error, BRANDS.streamInterrupted)) {
      const cause = classifyWith(adapters, (error as Error).cause, nowMs) ?? UNRECOGNISED;
      return { ...cause, retryable: false, reason: `stream interrupted (${cause.reason})` };
    }
    for (const adapter of adapters) {
      const facts = adapter(error);
      if (facts) return classifyFacts(facts, Number.isFinite(nowMs) ? nowMs : Date.now());
    }
  } catch {
    // Adapters read defensively already; this only guards against the truly unexpected.
  }
  return undefined;
}
