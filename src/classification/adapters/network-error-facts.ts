import { causeChain, readProperty, readString } from '../../internal/error-shape';
import type { ErrorFacts } from '../failure-kind';

/**
 * Recognises transport failures by shape: Node system errors, undici errors, `fetch` TypeErrors
 * and the DOMExceptions an AbortSignal raises. Never `instanceof`: errors made by Node's bundled
 * undici belong to another realm than jest's (or a bundler's) `TypeError`.
 */

/** Node system error codes (`net`, `dns`, `http`) that mean "the connection failed". */
export const NODE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** undici error codes (Node's `fetch`) for a lost socket or a transport timeout. */
export const UNDICI_NETWORK_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * undici codes that, under a body cut (`TypeError: terminated`), mean the connection went away
 * mid-response. Only there: a bare `ClientClosedError` may come from a client the caller closed.
 */
const BODY_CUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CLOSED']);

/** undici's name for the error of a socket that closed or failed under a request. */
const UNDICI_SOCKET_ERROR_NAME = 'SocketError';

/** Node system errors alone (what `net`, `http` and core-rest-pipeline's Node client surface). */
export function nodeSystemErrorFacts(error: unknown): ErrorFacts | undefined {
  const code = readString(error, 'code');
  if (code === undefined || !NODE_NETWORK_CODES.has(code)) return undefined;
  return { source: 'network', networkCode: code, isConnectionError: true };
}

/**
 * Errors of `fetch`/undici and of AbortSignals:
 * - a bare undici error (`UND_ERR_SOCKET`, `UND_ERR_*_TIMEOUT`);
 * - `TypeError: fetch failed` whose cause chain carries a known Node or undici code;
 * - `AbortError` (the caller's own signal: not ours to retry) and `TimeoutError`
 *   (`AbortSignal.timeout()`: a deadline, so a timeout).
 * A body cut mid-stream (`TypeError: terminated`) is `bodyCutErrorFacts`'s.
 */
export function fetchErrorFacts(error: unknown): ErrorFacts | undefined {
  const name = readString(error, 'name');
  if (name === 'AbortError') return { source: 'network', isUserAbort: true };
  if (name === 'TimeoutError') return { source: 'network', isTimeout: true };
  const ownCode = readString(error, 'code');
  if (ownCode !== undefined && UNDICI_NETWORK_CODES.has(ownCode)) {
    return { source: 'network', networkCode: ownCode, isConnectionError: true };
  }
  if (name !== 'TypeError' || readString(error, 'message') !== 'fetch failed') return undefined;
  const networkCode = findNetworkCode(readProperty(error, 'cause'));
  if (networkCode === undefined) return undefined;
  return { source: 'network', networkCode, isConnectionError: true };
}

/**
 * A response body cut mid-way, as undici (Node's `fetch`, so the `openai` SDK) reports it while
 * the body is read: `TypeError: terminated` whose cause is the socket's error (`SocketError`,
 * code `UND_ERR_SOCKET`, "other side closed"), or another transport code (`ECONNRESET`,
 * `UND_ERR_CLOSED`, ...). The SDK passes it through unwrapped, so every scope knows it: a
 * retryable `network` failure. Whether a stream may still be retried (nothing yielded yet)
 * is the engine's decision, not the classification's. A chain with an abort in it
 * (`AbortError`, `UND_ERR_ABORTED`) is the caller's doing: not a cut, not recognised here.
 */
export function bodyCutErrorFacts(error: unknown): ErrorFacts | undefined {
  if (readString(error, 'name') !== 'TypeError' || readString(error, 'message') !== 'terminated') return undefined;
  const chain = causeChain(readProperty(error, 'cause'));
  if (chain.length === 0 || chain.some(isAbortLink)) return undefined;
  const networkCode = findNetworkCode(chain[0], BODY_CUT_CODES);
  if (networkCode !== undefined) return { source: 'network', networkCode, isConnectionError: true };
  if (chain.some((link) => readString(link, 'name') === UNDICI_SOCKET_ERROR_NAME)) {
    return { source: 'network', isConnectionError: true };
  }
  return undefined;
}

/**
 * The first known Node or undici code along the cause chain (the error itself included);
 * `alsoAccept` adds codes known only in the caller's context.
 */
export function findNetworkCode(error: unknown, alsoAccept?: ReadonlySet<string>): string | undefined {
  for (const link of causeChain(error)) {
    for (const candidate of [link, ...aggregatedErrors(link)]) {
      const code = readString(candidate, 'code');
      if (code === undefined) continue;
      if (NODE_NETWORK_CODES.has(code) || UNDICI_NETWORK_CODES.has(code) || alsoAccept?.has(code)) return code;
    }
  }
  return undefined;
}

/** An `AbortError` (DOMException or Node's) or undici's `RequestAbortedError`. */
function isAbortLink(link: object): boolean {
  return readString(link, 'name') === 'AbortError' || readString(link, 'code') === 'UND_ERR_ABORTED';
}

/** True when some link of the cause chain is named `TimeoutError` (an `AbortSignal.timeout()` firing). */
export function hasTimeoutInChain(error: unknown): boolean {
  return causeChain(error).some((link) => readString(link, 'name') === 'TimeoutError');
}

/** Node's happy-eyeballs connect reports an `AggregateError` whose `errors` hold the per-address failures. */
function aggregatedErrors(value: object): unknown[] {
  const errors = readProperty(value, 'errors');
  if (!Array.isArray(errors)) return [];
  try {
    return errors.slice(0, 4);
  } catch {
    return [];
  }
}
