/**
 * Issue #12: `@RetryNetwork` recognises the errors of the HTTP clients Node users call most, by
 * shape and without depending on them. The errors below are built by hand with the exact shapes
 * the clients produce; where each shape comes from is cited next to its builder.
 */
import {
  classifyError,
  classifyNetworkError,
  classifyOpenAIError,
  shouldRetryNetworkError,
  shouldRetryOpenAIError,
  type ErrorClassification,
} from '../../src/classification';
import { configureResilience, resetResilience, RetryNetwork } from '../../src';
import { createTestLogger } from '../support/test-logger';

const NOW = Date.parse('2025-01-01T00:00:00Z');

// --- axios 1.x ------------------------------------------------------------------------------

/**
 * axios `lib/core/AxiosHeaders.js`: keys kept as received (Node's are lower-case), looked up
 * case-insensitively by `get(name)`.
 */
class AxiosHeaders {
  [key: string]: unknown;
  constructor(values: Record<string, string>) {
    Object.assign(this, values);
  }
  get(name: string): unknown {
    const key = Object.keys(this).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : this[key];
  }
}

interface AxiosResponseShape {
  data: unknown;
  status: number;
  statusText: string;
  headers: AxiosHeaders;
  config: Record<string, unknown>;
  request: Record<string, unknown>;
}

/**
 * axios `lib/core/AxiosError.js`: `name = 'AxiosError'`, `isAxiosError = true`, `code`,
 * `config`, `request`, and with a response `response` and `status = response.status`.
 */
class AxiosError extends Error {
  isAxiosError = true;
  code?: string;
  config = { url: 'https://api.example.com/v1/items', method: 'get', timeout: 5000 };
  request = {};
  response?: AxiosResponseShape;
  status?: number;
  constructor(message: string, code?: string, response?: AxiosResponseShape) {
    super(message);
    this.name = 'AxiosError';
    if (code) this.code = code;
    if (response) {
      this.response = response;
      this.status = response.status;
    }
  }
}

/** axios `lib/cancel/CanceledError.js`: an AxiosError named `CanceledError`, code `ERR_CANCELED`, `__CANCEL__`. */
class CanceledError extends AxiosError {
  __CANCEL__ = true;
  constructor() {
    super('canceled', 'ERR_CANCELED');
    this.name = 'CanceledError';
  }
}

/** axios `lib/core/settle.js`: a non-2xx is `ERR_BAD_REQUEST` (4xx) or `ERR_BAD_RESPONSE` (5xx). */
function axiosHttpError(status: number, headers: Record<string, string> = {}): AxiosError {
  const response: AxiosResponseShape = {
    data: { error: 'SECRET body text' },
    status,
    statusText: 'x',
    headers: new AxiosHeaders({ 'content-type': 'application/json', ...headers }),
    config: {},
    request: {},
  };
  return new AxiosError(
    `Request failed with status code ${status}`,
    status < 500 ? 'ERR_BAD_REQUEST' : 'ERR_BAD_RESPONSE',
    response,
  );
}

/**
 * axios `AxiosError.from(error, code)` (the http adapter's socket errors): the original's
 * `code`, `name` kept, the original as a non-enumerable `cause`.
 */
function axiosFrom(cause: Error & { code?: string }, code?: string): AxiosError {
  const error = new AxiosError(cause.message, code ?? cause.code);
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  error.name = cause.name;
  return error;
}

const systemError = (code: string, syscall = 'connect'): Error & { code: string } =>
  Object.assign(new Error(`${syscall} ${code} 10.0.0.1:443`), { code, errno: -1, syscall });

// --- got 11-14 ------------------------------------------------------------------------------

/**
 * got `source/core/errors.ts`: `RequestError` sets `name`, `code` (`error.code ??
 * 'ERR_GOT_REQUEST_ERROR'`) and non-enumerable `request`, `response` and `options`; subclasses
 * rename it. The response is Node's `IncomingMessage` (`statusCode`, lower-cased `headers`).
 */
function gotError(
  name: string,
  code: string,
  response?: { statusCode: number; headers?: Record<string, string | string[]> },
): Error {
  const error = Object.assign(new Error(`${name} ${code}`), { name, code, timings: {} });
  for (const [key, value] of Object.entries({
    options: { method: 'GET' },
    request: { _onResponse: () => undefined },
    response:
      response === undefined
        ? undefined
        : { statusMessage: 'x', body: 'SECRET', ok: false, ...response, headers: response.headers ?? {} },
  })) {
    Object.defineProperty(error, key, { value, enumerable: false });
  }
  return error;
}

/** `error` with `cause` set afterwards, as `new Error(message, { cause })` sets it (non-enumerable). */
function withCause<T extends Error>(error: T, cause: unknown): T {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  return error;
}

/** got `source/core/errors.ts` `TimeoutError`: code `ETIMEDOUT` (from `timed-out.ts`) and the `event` that timed out. */
const gotTimeout = () => Object.assign(gotError('TimeoutError', 'ETIMEDOUT'), { event: 'request' });

// --- ky 1.x ---------------------------------------------------------------------------------

const kyRequest = () => new Request('https://api.example.com/v1/items');

/** ky `source/errors/HTTPError.ts`: `name = 'HTTPError'`, `response` (the fetch `Response`), `request`, `options`. */
function kyHttpError(status: number, headers: Record<string, string> = {}): Error {
  const response = new Response('{"error":"SECRET"}', { status, headers });
  return Object.assign(new Error(`Request failed with status code ${status}: GET https://api.example.com`), {
    name: 'HTTPError',
    response,
    request: kyRequest(),
    options: {},
    data: undefined,
  });
}

/** ky `source/errors/TimeoutError.ts`: `name = 'TimeoutError'`, `request` (also the `cause`). */
const kyTimeout = () => {
  const request = kyRequest();
  return Object.assign(new Error('Request timed out', { cause: request }), { name: 'TimeoutError', request });
};

/** ky `source/errors/NetworkError.ts`: `name = 'NetworkError'`, `request`, the original error as `cause`. */
const kyNetworkError = (cause?: unknown) =>
  Object.assign(new Error('Request failed due to a network error: GET https://api.example.com', { cause }), {
    name: 'NetworkError',
    request: kyRequest(),
  });

// --- the cases ------------------------------------------------------------------------------

const verdict = (
  kind: ErrorClassification['kind'],
  retryable: boolean,
  reason: string,
  extra: Partial<ErrorClassification> = {},
): ErrorClassification => ({ kind, retryable, reason, ...extra });

const CASES: [string, () => unknown, ErrorClassification][] = [
  // axios
  ['axios 503', () => axiosHttpError(503), verdict('server', true, 'status 503', { status: 503 })],
  ['axios 500', () => axiosHttpError(500), verdict('server', true, 'status 500', { status: 500 })],
  ['axios 501', () => axiosHttpError(501), verdict('server', false, 'status 501', { status: 501 })],
  ['axios 408', () => axiosHttpError(408), verdict('timeout', true, 'status 408', { status: 408 })],
  [
    'axios 429 with Retry-After (seconds) and x-request-id',
    () => axiosHttpError(429, { 'retry-after': '7', 'x-request-id': 'req_ax_1' }),
    verdict('rate_limit', true, 'status 429', { status: 429, retryAfterMs: 7000, requestId: 'req_ax_1' }),
  ],
  [
    'axios 429 with Retry-After as an HTTP date',
    () => axiosHttpError(429, { 'Retry-After': new Date(NOW + 12_000).toUTCString() }),
    verdict('rate_limit', true, 'status 429', { status: 429, retryAfterMs: 12_000 }),
  ],
  ['axios 400', () => axiosHttpError(400), verdict('bad_request', false, 'status 400', { status: 400 })],
  ['axios 401', () => axiosHttpError(401), verdict('auth', false, 'status 401', { status: 401 })],
  ['axios 404', () => axiosHttpError(404), verdict('bad_request', false, 'status 404', { status: 404 })],
  [
    'axios 503 with x-should-retry: false',
    () => axiosHttpError(503, { 'x-should-retry': 'false' }),
    verdict('server', false, 'x-should-retry: false', { status: 503 }),
  ],
  [
    'axios timeout (ECONNABORTED, the default)',
    () => new AxiosError('timeout of 5000ms exceeded', 'ECONNABORTED'),
    verdict('timeout', true, 'ECONNABORTED'),
  ],
  [
    'axios timeout with clarifyTimeoutError (ETIMEDOUT)',
    () => new AxiosError('timeout of 5000ms exceeded', 'ETIMEDOUT'),
    verdict('timeout', true, 'ETIMEDOUT'),
  ],
  ['axios ECONNRESET', () => axiosFrom(systemError('ECONNRESET', 'read')), verdict('network', true, 'ECONNRESET')],
  ['axios ECONNREFUSED', () => axiosFrom(systemError('ECONNREFUSED')), verdict('network', true, 'ECONNREFUSED')],
  [
    'axios ENOTFOUND (no such host: not retried)',
    () => axiosFrom(systemError('ENOTFOUND', 'getaddrinfo')),
    verdict('network', false, 'ENOTFOUND'),
  ],
  [
    'axios ERR_NETWORK from its fetch adapter (cause: fetch failed <- ECONNREFUSED)',
    () => axiosFrom(new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') }), 'ERR_NETWORK'),
    verdict('network', true, 'ECONNREFUSED'),
  ],
  [
    'axios ERR_NETWORK (XHR: Network Error)',
    () => new AxiosError('Network Error', 'ERR_NETWORK'),
    verdict('network', true, 'ERR_NETWORK'),
  ],
  [
    'axios CanceledError (the caller cancelled)',
    () => new CanceledError(),
    verdict('aborted', false, 'aborted by caller'),
  ],
  [
    'axios Cancel known only by __CANCEL__ (axios 0.x, no code)',
    () => Object.assign(new AxiosError('canceled'), { name: 'CanceledError', __CANCEL__: true }),
    verdict('aborted', false, 'aborted by caller'),
  ],
  [
    'axios ERR_BAD_RESPONSE without a response (maxContentLength exceeded)',
    () => new AxiosError('maxContentLength size of 10 exceeded', 'ERR_BAD_RESPONSE'),
    verdict('unknown', false, 'unclassified network error'),
  ],
  [
    'axios ERR_FR_TOO_MANY_REDIRECTS',
    () => new AxiosError('Maximum number of redirects exceeded', 'ERR_FR_TOO_MANY_REDIRECTS'),
    verdict('unknown', false, 'unclassified network error'),
  ],
  [
    'axios error with only its own status (AxiosError.from of an error with a status)',
    () => Object.assign(new AxiosError('upstream said no', 'ERR_BAD_RESPONSE'), { status: 502 }),
    verdict('server', true, 'status 502', { status: 502 }),
  ],

  // got
  [
    'got HTTPError 503',
    () => gotError('HTTPError', 'ERR_NON_2XX_3XX_RESPONSE', { statusCode: 503 }),
    verdict('server', true, 'status 503', { status: 503 }),
  ],
  [
    'got HTTPError 429 with retry-after and x-request-id (lower-cased headers)',
    () =>
      gotError('HTTPError', 'ERR_NON_2XX_3XX_RESPONSE', {
        statusCode: 429,
        headers: { 'retry-after': '3', 'x-request-id': 'got-req-9', 'set-cookie': ['a=b', 'c=d'] },
      }),
    verdict('rate_limit', true, 'status 429', { status: 429, retryAfterMs: 3000, requestId: 'got-req-9' }),
  ],
  [
    'got HTTPError 404',
    () => gotError('HTTPError', 'ERR_NON_2XX_3XX_RESPONSE', { statusCode: 404 }),
    verdict('bad_request', false, 'status 404', { status: 404 }),
  ],
  ['got TimeoutError (ETIMEDOUT)', gotTimeout, verdict('timeout', true, 'ETIMEDOUT')],
  [
    'got RequestError ECONNREFUSED',
    () => gotError('RequestError', 'ECONNREFUSED'),
    verdict('network', true, 'ECONNREFUSED'),
  ],
  [
    'got ReadError ECONNRESET after a 200 head (the body broke)',
    () => gotError('ReadError', 'ECONNRESET', { statusCode: 200 }),
    verdict('network', true, 'ECONNRESET'),
  ],
  [
    'got ReadError ERR_READING_RESPONSE_STREAM after a 200 head, no transport code',
    () => gotError('ReadError', 'ERR_READING_RESPONSE_STREAM', { statusCode: 200 }),
    verdict('unknown', false, 'status 200', { status: 200 }),
  ],
  [
    'got CancelError (ERR_CANCELED)',
    () => gotError('CancelError', 'ERR_CANCELED'),
    verdict('aborted', false, 'aborted by caller'),
  ],
  [
    'got MaxRedirectsError',
    () => gotError('MaxRedirectsError', 'ERR_TOO_MANY_REDIRECTS', { statusCode: 302 }),
    verdict('unknown', false, 'status 302', { status: 302 }),
  ],
  [
    'got RequestError without a transport code',
    () => gotError('RequestError', 'ERR_GOT_REQUEST_ERROR'),
    verdict('unknown', false, 'unclassified network error'),
  ],
  // got's other RequestErrors: recognised by name, not retried without a transport code.
  ...['ReadError', 'UploadError', 'CacheError', 'UnsupportedProtocolError', 'ParseError', 'RetryError'].map(
    (name): [string, () => unknown, ErrorClassification] => [
      `got ${name} without a transport code`,
      () => gotError(name, 'ERR_GOT_SOMETHING'),
      verdict('unknown', false, 'unclassified network error'),
    ],
  ),
  [
    'got RequestError with an undici code (UND_ERR_SOCKET)',
    () => gotError('RequestError', 'UND_ERR_SOCKET'),
    verdict('network', true, 'UND_ERR_SOCKET'),
  ],
  [
    'got RequestError UND_ERR_CONNECT_TIMEOUT',
    () => gotError('RequestError', 'UND_ERR_CONNECT_TIMEOUT'),
    verdict('timeout', true, 'UND_ERR_CONNECT_TIMEOUT'),
  ],
  [
    'got HTTPError 400 with a transport error as its cause: the failed response wins',
    () => withCause(gotError('HTTPError', 'ERR_NON_2XX_3XX_RESPONSE', { statusCode: 400 }), systemError('ECONNRESET')),
    verdict('bad_request', false, 'status 400', { status: 400 }),
  ],
  [
    'got ReadError after a 399 head, cause ECONNRESET: the transport failure wins below 400',
    () =>
      withCause(gotError('ReadError', 'ERR_READING_RESPONSE_STREAM', { statusCode: 399 }), systemError('ECONNRESET')),
    verdict('network', true, 'ECONNRESET'),
  ],

  // ky
  ['ky HTTPError 503', () => kyHttpError(503), verdict('server', true, 'status 503', { status: 503 })],
  [
    'ky HTTPError 429 with Retry-After',
    () => kyHttpError(429, { 'Retry-After': '2', 'x-request-id': 'ky_1' }),
    verdict('rate_limit', true, 'status 429', { status: 429, retryAfterMs: 2000, requestId: 'ky_1' }),
  ],
  ['ky HTTPError 422', () => kyHttpError(422), verdict('bad_request', false, 'status 422', { status: 422 })],
  ['ky TimeoutError', kyTimeout, verdict('timeout', true, 'timeout')],
  [
    'ky NetworkError (cause: fetch failed <- ECONNREFUSED)',
    () => kyNetworkError(new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') })),
    verdict('network', true, 'ECONNREFUSED'),
  ],
  [
    'ky NetworkError, cause unknown',
    () => kyNetworkError(new TypeError('Failed to fetch')),
    verdict('network', true, 'connection error'),
  ],

  // a fetch Response thrown by user code
  [
    'a thrown Response 503',
    () => new Response('down', { status: 503 }),
    verdict('server', true, 'status 503', { status: 503 }),
  ],
  [
    'a thrown Response 429 with Retry-After',
    () => new Response(null, { status: 429, headers: { 'retry-after': '4', 'x-request-id': 'resp-1' } }),
    verdict('rate_limit', true, 'status 429', { status: 429, retryAfterMs: 4000, requestId: 'resp-1' }),
  ],
  [
    'a Response-like object (ok: false, status 100, Headers)',
    () => ({ ok: false, status: 100, headers: new Headers() }),
    verdict('unknown', false, 'status 100', { status: 100 }),
  ],
  [
    'a Response-like object (ok: false, status 599, Headers)',
    () => ({ ok: false, status: 599, headers: new Headers() }),
    verdict('server', true, 'status 599', { status: 599 }),
  ],
  [
    'a thrown Response 403',
    () => new Response(null, { status: 403 }),
    verdict('auth', false, 'status 403', { status: 403 }),
  ],

  // other clients' errors with a response (superagent, ofetch, wrappers)
  [
    'superagent-style error (status, response.status, response.headers)',
    () =>
      Object.assign(new Error('Service Unavailable'), {
        status: 503,
        response: { status: 503, headers: { 'retry-after': '1' }, text: 'SECRET' },
      }),
    verdict('server', true, 'status 503', { status: 503, retryAfterMs: 1000 }),
  ],
];

describe('@RetryNetwork scope: errors of axios, got, ky and a thrown Response', () => {
  it.each(CASES)('%s', (_label, make, expected) => {
    const error = make();
    expect(classifyNetworkError(error, NOW)).toEqual(expected);
    expect(classifyError(error, NOW)).toEqual(expected);
    expect(shouldRetryNetworkError(error)).toBe(expected.retryable);
    expect(JSON.stringify(classifyError(error, NOW))).not.toContain('SECRET');
  });

  it.each(CASES.filter(([label]) => !/ECONN|ETIMEDOUT|ENOTFOUND/.test(label)))(
    '%s: not an openai SDK error, so @RetryOpenAI does not retry it',
    (_label, make) => {
      const error = make();
      expect(classifyOpenAIError(error, NOW)).toBeUndefined();
      expect(shouldRetryOpenAIError(error)).toBe(false);
    },
  );

  it.each<[string, unknown]>([
    ['a plain object with a status', { status: 503 }],
    ['a plain object with ok: false but no headers', { ok: false, status: 503 }],
    ['a successful Response', new Response('fine', { status: 200 })],
    [
      'an Error whose response has a status but no headers',
      Object.assign(new Error('x'), { response: { status: 503 } }),
    ],
    [
      'an Error whose response status is not a number',
      Object.assign(new Error('x'), { response: { status: '503', headers: {} } }),
    ],
    ['isAxiosError not exactly true', Object.assign(new Error('x'), { isAxiosError: 'yes', code: 'ECONNABORTED' })],
    ['a response with status and headers but no message', { response: { status: 503, headers: {} } }],
    [
      'an Error whose response headers are null',
      Object.assign(new Error('x'), { response: { status: 503, headers: null } }),
    ],
    [
      'an Error whose response headers are a string',
      Object.assign(new Error('x'), { response: { status: 503, headers: 'retry-after: 1' } }),
    ],
    ['an error of another name with a got-like code', gotError('SomeOtherError', 'ERR_GOT_SOMETHING')],
    ['a Response-like object with status 99', { ok: false, status: 99, headers: new Headers() }],
    ['a Response-like object with status 600', { ok: false, status: 600, headers: new Headers() }],
    ['a Response-like object with a string status', { ok: false, status: '503', headers: new Headers() }],
  ])('%s is not recognised', (_label, value) => {
    expect(classifyNetworkError(value, NOW)).toBeUndefined();
    expect(shouldRetryNetworkError(value)).toBe(false);
  });
});

describe('an abort or a deadline stays one, whatever response came first', () => {
  /** got `source/core/errors.ts` (12+) `AbortError`: code `ERR_ABORTED`, the response if headers had arrived. */
  const gotAbort = () => gotError('AbortError', 'ERR_ABORTED', { statusCode: 200 });

  it("got's AbortError after a 200 head -> aborted, not retried", () => {
    expect(classifyNetworkError(gotAbort(), NOW)).toEqual(verdict('aborted', false, 'aborted by caller'));
  });

  it('a TimeoutError carrying a 503 response -> timeout, retryable', () => {
    const error = Object.assign(new Error('timed out'), {
      name: 'TimeoutError',
      response: { status: 503, headers: {} },
    });
    expect(classifyNetworkError(error, NOW)).toEqual(verdict('timeout', true, 'timeout'));
  });
});

describe('@RetryNetwork end to end with an axios-shaped error', () => {
  const log = createTestLogger();
  beforeEach(() => configureResilience({ logger: log.logger, random: () => 0 }));
  afterEach(() => resetResilience());

  class Client {
    attempts = 0;
    constructor(private readonly failures: (() => unknown)[]) {}

    @RetryNetwork({ baseDelayMs: 100, maxDelayMs: 1000 })
    async fetchItems(): Promise<string> {
      const failure = this.failures[this.attempts++];
      if (failure) throw failure();
      return 'items';
    }
  }

  it('an axios 503 is retried, then succeeds', async () => {
    const client = new Client([() => axiosHttpError(503)]);
    await expect(client.fetchItems()).resolves.toBe('items');
    expect(client.attempts).toBe(2);
  });

  it("an axios 429's Retry-After is waited for", async () => {
    const client = new Client([() => axiosHttpError(429, { 'retry-after-ms': '30' })]);
    await expect(client.fetchItems()).resolves.toBe('items');
    expect(client.attempts).toBe(2);
    expect(log.at('warn').at(-1)).toMatchObject({ status: 429, delayMs: 30 });
  });

  it('an axios CanceledError is not retried', async () => {
    const canceled = new CanceledError();
    const client = new Client([() => canceled]);
    await expect(client.fetchItems()).rejects.toBe(canceled);
    expect(client.attempts).toBe(1);
  });
});
