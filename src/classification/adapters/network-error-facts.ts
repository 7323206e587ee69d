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

/** undici's messages for its `TypeError`s: `fetch()` itself failed, or the body stream was cut. */
const FETCH_TYPE_ERROR_MESSAGES: ReadonlySet<string> = new Set(['fetch failed', 'terminated']);

/** Node system errors alone (what `net`, `http` and core-rest-pipeline's Node client surface). */
export function nodeSystemErrorFacts(error: unknown): ErrorFacts | undefined {
  const code = readString(error, 'code');
  if (code === undefined || !NODE_NETWORK_CODES.has(code)) return undefined;
  return { source: 'network', networkCode: code, isConnectionError: true };
}

/**
 * Errors of `fetch`/undici and of AbortSignals:
 * - a bare undici error (`UND_ERR_SOCKET`, `UND_ERR_*_TIMEOUT`);
 * - `TypeError: fetch failed` or `TypeError: terminated` (a body cut mid-stream) whose cause
 *   chain carries a known Node or undici code;
 * - `AbortError` (the caller's own signal: not ours to retry) and `TimeoutError`
 *   (`AbortSignal.timeout()`: a deadline, so a timeout).
 */
export function fetchErrorFacts(error: unknown): ErrorFacts | undefined {
  const name = readString(error, 'name');
  if (name === 'AbortError') return { source: 'network', isUserAbort: true };
  if (name === 'TimeoutError') return { source: 'network', isTimeout: true };
  const ownCode = readString(error, 'code');
  if (ownCode !== undefined && UNDICI_NETWORK_CODES.has(ownCode)) {
    return { source: 'network', networkCode: ownCode, isConnectionError: true };
  }
  if (name !== 'TypeError') return undefined;
  const message = readString(error, 'message');
  if (message === undefined || !FETCH_TYPE_ERROR_MESSAGES.has(message)) return undefined;
  const networkCode = findNetworkCode(readProperty(error, 'cause'));
  if (networkCode === undefined) return undefined;
  return { source: 'network', networkCode, isConnectionError: true };
}

/** The first known Node or undici code along the cause chain (the error itself included). */
export function findNetworkCode(error: unknown): string | undefined {
  for (const link of causeChain(error)) {
    for (const candidate of [link, ...aggregatedErrors(link)]) {
      const code = readString(candidate, 'code');
      if (code !== undefined && (NODE_NETWORK_CODES.has(code) || UNDICI_NETWORK_CODES.has(code))) return code;
    }
  }
  return undefined;
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
