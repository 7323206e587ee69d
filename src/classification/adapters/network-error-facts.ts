import { causeChain, readProperty, readString } from '../../internal/error-shape';
import { readFirstHeader } from '../../internal/headers';
import type { ErrorFacts } from '../failure-kind';

/**
 * Recognises transport failures by shape: Node system errors, undici errors, `fetch` TypeErrors
 * and the DOMExceptions an AbortSignal raises, and the errors of the HTTP clients Node users call
 * most (axios, got, ky, a thrown `fetch` `Response`). Never `instanceof` and no dependency on
 * those clients: errors made by Node's bundled undici belong to another realm than jest's (or a
 * bundler's) `TypeError`, and the clients are the application's, in whatever version.
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

// --- HTTP clients: axios, got, ky, a thrown fetch Response ------------------------------------

/**
 * Error names of got (`RequestError` and its subclasses, `source/core/errors.ts`; `CancelError`,
 * `source/as-promise/types.ts`) and ky (`HTTPError`, `NetworkError`, `source/errors/`). Their
 * `TimeoutError`s are known already: got's by its `code` `ETIMEDOUT`, ky's by the name.
 */
const HTTP_CLIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'HTTPError',
  'RequestError',
  'ReadError',
  'UploadError',
  'CacheError',
  'MaxRedirectsError',
  'UnsupportedProtocolError',
  'ParseError',
  'RetryError',
  'CancelError',
  'NetworkError',
]);

/** axios's code for its own `timeout` (`ETIMEDOUT` instead with `transitional.clarifyTimeoutError`). */
const AXIOS_TIMEOUT_CODE = 'ECONNABORTED';

/**
 * axios's code for "no response": the browser's XHR failed, or its fetch adapter got
 * `TypeError: fetch failed` (kept as `cause`, whose transport code is preferred).
 */
const AXIOS_NETWORK_CODE = 'ERR_NETWORK';

/** axios's `CanceledError` and got's `CancelError`: the caller cancelled. */
const CANCELED_CODE = 'ERR_CANCELED';

/** Request-id headers of HTTP APIs at large, the generic one first. */
const HTTP_REQUEST_ID_HEADERS = ['x-request-id', 'apim-request-id', 'x-ms-request-id'] as const;

/**
 * Errors of the HTTP clients Node users call most, by shape:
 * - axios (`AxiosError`: `isAxiosError: true`): the status from `response.status` (or the
 *   error's own `status`), headers from `response.headers` (`AxiosHeaders`, with `.get`);
 *   without a response, `code` `ECONNABORTED` (its timeout) / `ETIMEDOUT` / `ECONNRESET` / ...,
 *   `ERR_NETWORK` (refined by a transport code along `cause`); `CanceledError`
 *   (`code: 'ERR_CANCELED'`, `__CANCEL__`) is the caller's cancel: not retried;
 * - got (`HTTPError`, `code: 'ERR_NON_2XX_3XX_RESPONSE'`): `response.statusCode` and the
 *   lower-cased `response.headers` object; its other `RequestError`s by their `code` (Node's, or
 *   `ERR_*`: recognised, not retried unless a transport code is along `cause`); `CancelError`;
 * - ky (`HTTPError`): `response` is the `fetch` `Response` (`status`, `headers.get`);
 *   `NetworkError`: a connection error, refined by the code along `cause`;
 * - any other error (a string `message`) whose `response` has an HTTP `status`/`statusCode`
 *   and `headers` (superagent, ofetch, hand-written wrappers);
 * - a `fetch` `Response` thrown as is (`ok === false`, an HTTP `status`, `headers.get`).
 * A 429's `Retry-After` (or `retry-after-ms`) thus becomes `retryAfterMs`.
 */
export function httpClientErrorFacts(error: unknown): ErrorFacts | undefined {
  if (isThrownResponse(error))
    return responseFacts(readProperty(error, 'status') as number, readProperty(error, 'headers'));

  const isAxios = readProperty(error, 'isAxiosError') === true;
  const name = readString(error, 'name');
  // An abort or a deadline is one whatever response came first (got's AbortError keeps it): fetchErrorFacts'.
  if (name === 'AbortError' || name === 'TimeoutError') return undefined;
  const response = readProperty(error, 'response');
  const status = responseStatus(response) ?? (isAxios ? httpStatus(readProperty(error, 'status')) : undefined);
  const headers = readProperty(response, 'headers');
  const isKnown = isAxios || (name !== undefined && HTTP_CLIENT_ERROR_NAMES.has(name));
  const isOtherHttpError =
    status !== undefined &&
    readString(error, 'message') !== undefined &&
    headers !== null &&
    typeof headers === 'object';
  if (!isKnown && !isOtherHttpError) return undefined;

  const code = readString(error, 'code');
  if (code === CANCELED_CODE || readProperty(error, '__CANCEL__') === true)
    return { source: 'network', isUserAbort: true };

  const networkCode =
    transportCode(code) ??
    findNetworkCode(readProperty(error, 'cause')) ??
    (code === AXIOS_NETWORK_CODE ? code : undefined);
  // A failed response wins; a body that broke after a 2xx/3xx head is the transport's failure.
  if (status !== undefined && (status >= 400 || networkCode === undefined)) return responseFacts(status, headers);
  if (networkCode !== undefined) return { source: 'network', networkCode, isConnectionError: true };
  // ky's NetworkError without a known code along `cause`: still no response at all.
  return name === 'NetworkError' ? { source: 'network', isConnectionError: true } : { source: 'network' };
}

function responseFacts(status: number, headers: unknown): ErrorFacts {
  const facts: ErrorFacts = { source: 'network', status };
  if (headers !== null && typeof headers === 'object') {
    facts.headers = headers;
    const requestId = readFirstHeader(headers, HTTP_REQUEST_ID_HEADERS);
    if (requestId !== undefined) facts.requestId = requestId;
  }
  return facts;
}

/** A WHATWG `Response` (any realm) that failed: `ok === false`, an HTTP status, a `Headers`. */
function isThrownResponse(value: unknown): boolean {
  return (
    readProperty(value, 'ok') === false &&
    httpStatus(readProperty(value, 'status')) !== undefined &&
    typeof readProperty(readProperty(value, 'headers'), 'get') === 'function'
  );
}

/** `response.status` (axios, ky, fetch, superagent) or `response.statusCode` (got, Node's `IncomingMessage`). */
function responseStatus(response: unknown): number | undefined {
  return httpStatus(readProperty(response, 'status')) ?? httpStatus(readProperty(response, 'statusCode'));
}

function httpStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
}

/** The error's own `code`, when it names a transport failure. */
function transportCode(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  return NODE_NETWORK_CODES.has(code) || UNDICI_NETWORK_CODES.has(code) || code === AXIOS_TIMEOUT_CODE
    ? code
    : undefined;
}
