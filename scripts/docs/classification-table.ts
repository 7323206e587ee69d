// docs/classification.md: how every failure is classified, by provider and HTTP status or
// error code. The rule tables are printed from the exported rule data; the per-provider rows
// are errors built with the providers' own classes (openai, @azure/core-rest-pipeline,
// @azure/identity) and Node's shapes, then run through classifyError and the decorators'
// predicates. tests/policies/classify-error.test.ts checks the same verdicts against real HTTP.

import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import {
  ContentFilterFinishReasonError,
  LengthFinishReasonError,
  OAuthError,
  SubjectTokenProviderError,
} from 'openai/core/error';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import {
  AggregateAuthenticationError,
  AuthenticationError as IdentityAuthenticationError,
  CredentialUnavailableError,
} from '@azure/identity';
import { AttemptTimeoutError, RetryTimeoutError } from '../../src/strategies/timeout/timeout-errors';
import { CircuitOpenError } from '../../src/strategies/circuit-breaker/circuit-open-error';
import { TokenProviderError } from '../../src/llm/llm-errors';
import { errorTypeOf } from '../../src/observability/retry-log';
import { BulkheadRejectedError } from '../../src/strategies/bulkhead/bulkhead-rejected-error';
import { PIPELINE_ABORT_IN_FLIGHT } from '../../src/classification/adapters/azure-rest-error-facts';
import {
  classifyAzureError,
  classifyError,
  classifyNetworkError,
  classifyOpenAIError,
  NETWORK_CODE_RULES,
  PROVIDER_CODE_RULES,
  STATUS_RULES,
  type ErrorClassification,
} from '../../src/classification';
import { code, generatedBanner, table } from './markdown';

/** A fixed clock, so that an HTTP-date Retry-After renders the same wait on every run. */
const NOW = Date.parse('2025-01-01T00:00:00Z');

interface Case {
  /** What happened, as a user would describe it. */
  label: string;
  error: () => unknown;
}

// --- openai (also what the AzureOpenAI client throws) ---------------------------------------

function openAIHttp(status: number, body?: object, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, body, undefined, new Headers({ 'x-request-id': 'req_123', ...headers }));
}

const apiError = (codeValue: string, type = 'invalid_request_error') => ({
  error: { message: 'redacted', type, code: codeValue },
});

/** What undici's fetch throws for a refused or failed connection: `TypeError('fetch failed')` with the socket error as cause. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

function systemError(errorCode: string, syscall = 'connect'): Error {
  return Object.assign(new Error(`${syscall} ${errorCode}`), { code: errorCode, syscall });
}

function undiciError(name: string, errorCode: string): Error {
  return Object.assign(new Error(name), { name, code: errorCode });
}

const OPENAI_CASES: Case[] = [
  { label: '400 bad request', error: () => openAIHttp(400, apiError('invalid_value')) },
  { label: '400 `context_length_exceeded`', error: () => openAIHttp(400, apiError('context_length_exceeded')) },
  { label: '401 invalid API key', error: () => openAIHttp(401, apiError('invalid_api_key')) },
  { label: '403 permission denied', error: () => openAIHttp(403, apiError('unsupported_country_region_territory')) },
  { label: '404 unknown model', error: () => openAIHttp(404, apiError('model_not_found')) },
  { label: '408 request timeout', error: () => openAIHttp(408) },
  { label: '409 conflict (lock timeout)', error: () => openAIHttp(409) },
  { label: '422 unprocessable', error: () => openAIHttp(422) },
  {
    label: '429 rate limit, `retry-after-ms: 1500`',
    error: () => openAIHttp(429, apiError('rate_limit_exceeded', 'requests'), { 'retry-after-ms': '1500' }),
  },
  {
    label: '429 rate limit, `retry-after: 30`',
    error: () => openAIHttp(429, apiError('rate_limit_exceeded', 'tokens'), { 'retry-after': '30' }),
  },
  {
    label: '429 `insufficient_quota`',
    error: () => openAIHttp(429, apiError('insufficient_quota', 'insufficient_quota')),
  },
  { label: '500 server error', error: () => openAIHttp(500) },
  { label: '501 not implemented', error: () => openAIHttp(501) },
  { label: '502 bad gateway', error: () => openAIHttp(502) },
  { label: '503 overloaded', error: () => openAIHttp(503) },
  { label: '504 gateway timeout', error: () => openAIHttp(504) },
  { label: '505 HTTP version not supported', error: () => openAIHttp(505) },
  { label: '503 with `x-should-retry: false`', error: () => openAIHttp(503, undefined, { 'x-should-retry': 'false' }) },
  { label: '400 with `x-should-retry: true`', error: () => openAIHttp(400, undefined, { 'x-should-retry': 'true' }) },
  {
    label: 'connection refused',
    error: () => new APIConnectionError({ cause: fetchFailed(systemError('ECONNREFUSED')) }),
  },
  {
    label: 'connection reset',
    error: () => new APIConnectionError({ cause: fetchFailed(systemError('ECONNRESET', 'read')) }),
  },
  {
    label: 'DNS: no such host',
    error: () => new APIConnectionError({ cause: fetchFailed(systemError('ENOTFOUND', 'getaddrinfo')) }),
  },
  { label: "the SDK's own `timeout`", error: () => new APIConnectionTimeoutError() },
  { label: 'the caller aborted (`signal`)', error: () => new APIUserAbortError() },
  { label: '`.parse()`: finish_reason `content_filter`', error: () => new ContentFilterFinishReasonError() },
  { label: '`.parse()`: finish_reason `length`', error: () => new LengthFinishReasonError() },
  {
    label: '429 with `insufficient_quota` only as `type` (no `code`)',
    error: () => openAIHttp(429, { error: { message: 'redacted', type: 'insufficient_quota', code: null } }),
  },
  {
    label: 'an error event in a stream (`server_error`): no status, no cause',
    error: () => new APIError(undefined, { type: 'server_error', message: 'redacted' }, undefined, new Headers()),
  },
  {
    label: 'an error event in a stream with a code not in the table',
    error: () => new APIError(undefined, { type: 'mystery', message: 'redacted' }, undefined, new Headers()),
  },
  {
    label: 'workload identity: the OAuth token exchange refused (400 `invalid_grant`)',
    error: () => new OAuthError(400, { error: 'invalid_grant' }, new Headers()),
  },
  {
    label: 'workload identity: no subject token (token file, IMDS)',
    error: () => new SubjectTokenProviderError('The token file is empty.', 'kubernetes'),
  },
];

// --- Azure OpenAI through the openai SDK's AzureOpenAI client ----------------------------------

const azureHeaders = { 'apim-request-id': '6f1c3d2e-apim', 'x-request-id': '' };

const AZURE_OPENAI_CASES: Case[] = [
  {
    label: '429 with `retry-after: 10` and `x-ms-retry-after-ms: 9500`',
    error: () =>
      openAIHttp(
        429,
        { error: { code: '429', message: 'redacted' } },
        { ...azureHeaders, 'retry-after': '10', 'x-ms-retry-after-ms': '9500' },
      ),
  },
  {
    label: '400 `content_filter` (innererror `ResponsibleAIPolicyViolation`)',
    error: () =>
      openAIHttp(
        400,
        {
          error: { code: 'content_filter', message: 'redacted', innererror: { code: 'ResponsibleAIPolicyViolation' } },
        },
        azureHeaders,
      ),
  },
  {
    label: '400 `context_length_exceeded`',
    error: () => openAIHttp(400, { error: { code: 'context_length_exceeded', message: 'redacted' } }, azureHeaders),
  },
  {
    label: '401 invalid key or token',
    error: () => openAIHttp(401, { error: { code: '401', message: 'redacted' } }, azureHeaders),
  },
  {
    label: '404 `DeploymentNotFound`',
    error: () => openAIHttp(404, { error: { code: 'DeploymentNotFound', message: 'redacted' } }, azureHeaders),
  },
  {
    label: '500 internal error',
    error: () => openAIHttp(500, { error: { code: 'InternalServerError', message: 'redacted' } }, azureHeaders),
  },
  { label: '503 service unavailable', error: () => openAIHttp(503, undefined, azureHeaders) },
  {
    label: '`azureADTokenProvider` throws `CredentialUnavailableError` (wrapped by the SDK)',
    error: () =>
      new OpenAIError("Failed to get token from 'apiKey' function: no credential", {
        cause: new CredentialUnavailableError('no credential'),
      } as never),
  },
  {
    label: 'token provider failed inside the LLM services (`TokenProviderError`)',
    error: () => new TokenProviderError(new Error('expired')),
  },
];

// --- @azure/core-rest-pipeline and @azure/identity ----------------------------------------------

function restError(
  statusCode: number | undefined,
  options: { code?: string; headers?: Record<string, string>; body?: object } = {},
): RestError {
  const request = createPipelineRequest({
    url: 'https://example.openai.azure.com/openai/deployments/gpt-4o/chat/completions',
  });
  const response =
    statusCode === undefined
      ? undefined
      : {
          request,
          status: statusCode,
          headers: createHttpHeaders({ 'x-ms-request-id': 'azure-req-1', ...options.headers }),
          bodyAsText: options.body === undefined ? undefined : JSON.stringify(options.body),
        };
  return new RestError('redacted', { code: options.code, statusCode, request, response });
}

const AZURE_SDK_CASES: Case[] = [
  { label: '`RestError` 400', error: () => restError(400) },
  {
    label: '`RestError` 400 with body `content_filter`',
    error: () =>
      restError(400, {
        body: { error: { code: 'content_filter', innererror: { code: 'ResponsibleAIPolicyViolation' } } },
      }),
  },
  { label: '`RestError` 401', error: () => restError(401) },
  { label: '`RestError` 429, `retry-after: 10`', error: () => restError(429, { headers: { 'retry-after': '10' } }) },
  {
    label: '`RestError` 429, `retry-after` as an HTTP date',
    error: () => restError(429, { headers: { 'retry-after': new Date(NOW + 20_000).toUTCString() } }),
  },
  { label: '`RestError` 500', error: () => restError(500) },
  { label: '`RestError` 501', error: () => restError(501) },
  { label: '`RestError` 503', error: () => restError(503) },
  { label: '`RestError` `ECONNREFUSED` (no response)', error: () => restError(undefined, { code: 'ECONNREFUSED' }) },
  {
    label: '`RestError` `REQUEST_SEND_ERROR` (no response)',
    error: () => restError(undefined, { code: RestError.REQUEST_SEND_ERROR }),
  },
  { label: '`RestError` `PARSE_ERROR` on a 200', error: () => restError(200, { code: RestError.PARSE_ERROR }) },
  {
    label: "core-rest-pipeline `AbortError` in flight (the request's own `timeout`)",
    error: () => Object.assign(new Error(PIPELINE_ABORT_IN_FLIGHT), { name: 'AbortError' }),
  },
  {
    label: "core-rest-pipeline `AbortError` of a request already cancelled (the caller's abort)",
    error: () => Object.assign(new Error('Request has already been canceled.'), { name: 'AbortError' }),
  },
  {
    label: '@azure/identity `CredentialUnavailableError`',
    error: () => new CredentialUnavailableError('no credential'),
  },
  {
    label: '@azure/identity `AuthenticationError`',
    error: () => new IdentityAuthenticationError(400, { error: 'invalid_client', error_description: 'redacted' }),
  },
  {
    label: '@azure/identity `AggregateAuthenticationError`',
    error: () => new AggregateAuthenticationError([], 'redacted'),
  },
];

// --- Node, undici and fetch ---------------------------------------------------------------------

const NETWORK_CASES: Case[] = [
  ...[
    'ECONNRESET',
    'ECONNREFUSED',
    'ETIMEDOUT',
    'ESOCKETTIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EAI_AGAIN',
    'ENOTFOUND',
  ].map((errorCode): Case => ({ label: `Node system error \`${errorCode}\``, error: () => systemError(errorCode) })),
  { label: 'undici `SocketError` (`UND_ERR_SOCKET`)', error: () => undiciError('SocketError', 'UND_ERR_SOCKET') },
  { label: 'undici `ConnectTimeoutError`', error: () => undiciError('ConnectTimeoutError', 'UND_ERR_CONNECT_TIMEOUT') },
  { label: 'undici `HeadersTimeoutError`', error: () => undiciError('HeadersTimeoutError', 'UND_ERR_HEADERS_TIMEOUT') },
  { label: 'undici `BodyTimeoutError`', error: () => undiciError('BodyTimeoutError', 'UND_ERR_BODY_TIMEOUT') },
  { label: '`fetch` failed: connection refused', error: () => fetchFailed(systemError('ECONNREFUSED')) },
  {
    label: '`fetch` failed: every address refused (`AggregateError`)',
    error: () =>
      fetchFailed(
        Object.assign(new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')]), {
          code: undefined,
        }),
      ),
  },
  {
    label: 'body cut mid-stream (`TypeError: terminated`), as the openai SDK lets it through',
    error: () => new TypeError('terminated', { cause: undiciError('SocketError', 'UND_ERR_SOCKET') }),
  },
  {
    label: 'body cut mid-stream, cause `UND_ERR_CLOSED`',
    error: () => new TypeError('terminated', { cause: undiciError('ClientClosedError', 'UND_ERR_CLOSED') }),
  },
  {
    label: 'body cut mid-stream, cause `ECONNRESET`',
    error: () => new TypeError('terminated', { cause: systemError('ECONNRESET', 'read') }),
  },
  {
    label: 'body cut by an abort (`TypeError: terminated`, cause `AbortError`)',
    error: () => new TypeError('terminated', { cause: new DOMException('This operation was aborted', 'AbortError') }),
  },
  { label: '`fetch` failed, cause unknown', error: () => fetchFailed(new Error('something else')) },
  {
    label: '`AbortSignal.timeout()` fired (`TimeoutError`)',
    error: () => new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
  },
  {
    label: 'the caller aborted (`AbortError`)',
    error: () => new DOMException('This operation was aborted', 'AbortError'),
  },
  { label: 'any other error', error: () => new Error('boom') },
];

// --- other HTTP clients, by shape (no dependency on them) ------------------------------------------

/** An Error of a class called `className` (what the log's error type shows), as the client would throw. */
function errorOfClass(className: string, message = 'redacted', options?: ErrorOptions): Error {
  const ErrorClass = { [className]: class extends Error {} }[className];
  return new ErrorClass(message, options);
}

/** axios `lib/core/AxiosHeaders.js`: keys as received, `get(name)` case-insensitive. */
function axiosHeaders(values: Record<string, string>): Record<string, unknown> {
  return {
    ...values,
    get: (name: string) => Object.entries(values).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/** axios `lib/core/AxiosError.js`: `name`, `isAxiosError`, `code`, and with a response `response` and `status`. */
function axiosError(code: string | undefined, response?: { status: number; headers?: Record<string, string> }): Error {
  return Object.assign(errorOfClass('AxiosError'), {
    name: 'AxiosError',
    isAxiosError: true,
    code,
    config: {},
    ...(response === undefined
      ? {}
      : {
          status: response.status,
          response: { status: response.status, statusText: '', headers: axiosHeaders(response.headers ?? {}) },
        }),
  });
}

/** got `source/core/errors.ts`: `name`, `code`, and a non-enumerable `response` (`statusCode`, lower-cased `headers`). */
function gotError(name: string, errorCode: string, response?: { statusCode: number; headers?: object }): Error {
  const error = Object.assign(errorOfClass(name), { name, code: errorCode });
  Object.defineProperty(error, 'response', {
    value: response === undefined ? undefined : { headers: {}, ...response },
    enumerable: false,
  });
  return error;
}

/** ky `source/errors/HTTPError.ts`: `name = 'HTTPError'`, `response` (the fetch `Response`), `request`. */
function kyHttpError(status: number, headers: Record<string, string> = {}): Error {
  return Object.assign(errorOfClass('HTTPError'), {
    name: 'HTTPError',
    response: new Response(null, { status, headers }),
    request: new Request('https://api.example.com/'),
  });
}

const HTTP_CLIENT_CASES: Case[] = [
  { label: 'axios 503 (`ERR_BAD_RESPONSE`)', error: () => axiosError('ERR_BAD_RESPONSE', { status: 503 }) },
  {
    label: 'axios 429, `retry-after: 7`',
    error: () => axiosError('ERR_BAD_REQUEST', { status: 429, headers: { 'retry-after': '7' } }),
  },
  { label: 'axios 400 (`ERR_BAD_REQUEST`)', error: () => axiosError('ERR_BAD_REQUEST', { status: 400 }) },
  { label: 'axios timeout (`ECONNABORTED`)', error: () => axiosError('ECONNABORTED') },
  { label: 'axios timeout, `clarifyTimeoutError` (`ETIMEDOUT`)', error: () => axiosError('ETIMEDOUT') },
  { label: 'axios connection reset (`ECONNRESET`)', error: () => axiosError('ECONNRESET') },
  { label: 'axios `ERR_NETWORK` (no response)', error: () => axiosError('ERR_NETWORK') },
  {
    label: 'axios `CanceledError` (`ERR_CANCELED`: the caller cancelled)',
    error: () =>
      Object.assign(errorOfClass('CanceledError', 'canceled'), {
        name: 'CanceledError',
        isAxiosError: true,
        code: 'ERR_CANCELED',
        __CANCEL__: true,
      }),
  },
  { label: 'axios `ERR_FR_TOO_MANY_REDIRECTS`', error: () => axiosError('ERR_FR_TOO_MANY_REDIRECTS') },
  {
    label: 'got `HTTPError` 503',
    error: () => gotError('HTTPError', 'ERR_NON_2XX_3XX_RESPONSE', { statusCode: 503 }),
  },
  {
    label: 'got `HTTPError` 429, `retry-after: 3`',
    error: () =>
      gotError('HTTPError', 'ERR_NON_2XX_3XX_RESPONSE', { statusCode: 429, headers: { 'retry-after': '3' } }),
  },
  {
    label: 'got `TimeoutError` (`ETIMEDOUT`)',
    error: () => Object.assign(gotError('TimeoutError', 'ETIMEDOUT'), { event: 'request' }),
  },
  { label: 'got `RequestError` `ECONNREFUSED`', error: () => gotError('RequestError', 'ECONNREFUSED') },
  { label: 'got `CancelError` (`ERR_CANCELED`)', error: () => gotError('CancelError', 'ERR_CANCELED') },
  { label: 'ky `HTTPError` 503', error: () => kyHttpError(503) },
  { label: 'ky `HTTPError` 429, `Retry-After: 2`', error: () => kyHttpError(429, { 'Retry-After': '2' }) },
  {
    label: 'ky `TimeoutError`',
    error: () => Object.assign(errorOfClass('TimeoutError', 'Request timed out'), { name: 'TimeoutError' }),
  },
  {
    label: 'ky `NetworkError` (cause `fetch failed` <- `ECONNREFUSED`)',
    error: () =>
      Object.assign(errorOfClass('NetworkError', 'redacted', { cause: fetchFailed(systemError('ECONNREFUSED')) }), {
        name: 'NetworkError',
      }),
  },
  { label: 'a `fetch` `Response` thrown as is, 503', error: () => new Response(null, { status: 503 }) },
  {
    label: 'a `fetch` `Response` thrown as is, 429, `retry-after: 4`',
    error: () => new Response(null, { status: 429, headers: { 'retry-after': '4' } }),
  },
  { label: 'a `fetch` `Response` thrown as is, 404', error: () => new Response(null, { status: 404 }) },
  {
    label: "another client's error with `response.status` and `response.headers` (superagent, ofetch), 502",
    error: () => Object.assign(new Error('redacted'), { response: { status: 502, headers: {} } }),
  },
  { label: 'a plain object `{ status: 503 }`', error: () => ({ status: 503 }) },
];

// --- the library's own errors -------------------------------------------------------------------

const LIBRARY_CASES: Case[] = [
  { label: 'an attempt exceeded `attemptTimeoutMs`', error: () => new AttemptTimeoutError('Agent.complete', 5000) },
  { label: 'the call exceeded `totalTimeoutMs`', error: () => new RetryTimeoutError('Agent.complete', 60_000) },
  { label: "the key's circuit is open", error: () => new CircuitOpenError('openai|default|gpt-4o', 30_000) },
  {
    label: "the key's bulkhead queue is full",
    error: () => new BulkheadRejectedError('openai|default|gpt-4o', 4, 100),
  },
];

export const CLASSIFICATION_SECTIONS: readonly { title: string; intro: string; cases: Case[] }[] = [
  {
    title: 'OpenAI (`openai` SDK)',
    intro: [
      "Errors of the `OpenAI` client, classified by shape (status, headers, body `error.code`/`type`, cause chain), never by `instanceof`: openai's CJS and ESM builds have distinct classes.",
      '',
      'Decided cases: `error.code`, `error.type` and `error.innererror.code` are each enough to name a provider code',
      '(tried in that order), so a quota sent only as `type` is `quota_exhausted`, not a retryable rate limit. An SDK',
      'error with neither a status nor a cause (`LengthFinishReasonError`, a bare `OpenAIError`) is `unknown` and',
      'not retried: only `APIConnectionError`, or an `APIError` with no status and a `cause`, is a transport failure',
      '(`network`, or `timeout` when a `TimeoutError` is along the cause chain); another SDK error with a `cause` is',
      'not. The one exception is the data of an error event in a 200 stream, which the SDK throws as an `APIError`',
      'with no status and no cause: its code or type is all there is, and a stream event code decides (`server_error`',
      '→ `server` and `rate_limit_exceeded` → `rate_limit`, both retried; any other → `unknown`), as for the',
      '`StreamEventError` of a `response.failed` or `error` event. Credential errors: a credential error along the',
      "cause chain, the SDK's own text for a failing `apiKey` function (only on an `OpenAIError`: an `APIError` whose",
      "message, a server's, reads the same is not one), and the workload-identity errors (`OAuthError`,",
      '`SubjectTokenProviderError`) whatever their status: `auth`, never retried. A minified build is recognised by',
      'the fields `APIError` assigns (`status`, `headers`, `error`, `requestID`), whatever its class is called.',
    ].join('\n'),
    cases: OPENAI_CASES,
  },
  {
    title: 'Azure OpenAI (`AzureOpenAI` client of the `openai` SDK)',
    intro:
      "The same classes as OpenAI's, with Azure's bodies and headers (`apim-request-id`, `x-ms-retry-after-ms`). A token-provider failure is an authentication failure and is never retried.",
    cases: AZURE_OPENAI_CASES,
  },
  {
    title: 'Azure SDKs (`@azure/core-rest-pipeline`, `@azure/identity`)',
    intro:
      "`RestError`s are recognised by `name === 'RestError'` (every Azure package may bundle its own copy of the class); credential errors anywhere along the cause chain are `auth`.",
    cases: AZURE_SDK_CASES,
  },
  {
    title: 'Network (Node, undici, `fetch`)',
    intro:
      "Transport failures of any client, recognised by `code`, `name` and the cause chain (errors of Node's bundled undici belong to another realm than yours). The first known transport code along the chain decides, past links with codes of their own; of an `AggregateError` (Node's happy-eyeballs connect) the first four `errors` are read, a bound on hostile input. A wrapper other than `TypeError: fetch failed` (or an HTTP client's error, below) is not looked into.",
    cases: NETWORK_CASES,
  },
  {
    title: 'Other HTTP clients (axios, got, ky, a thrown `fetch` `Response`)',
    intro: [
      '`@RetryNetwork` recognises these by shape, without depending on the clients; the rows are hand-built',
      "errors of the shapes the clients' sources define. What is read:",
      '',
      '- **axios** (`isAxiosError: true`; `lib/core/AxiosError.js`, `settle.js`): the status from `response.status`',
      "  (or the error's own `status`), Retry-After and request id from `response.headers` (`AxiosHeaders`, read with",
      '  `.get`); without a response its `code`: `ECONNABORTED` (its `timeout`) and `ETIMEDOUT` are timeouts,',
      '  `ECONNRESET`, `ECONNREFUSED`, ... network failures, `ERR_NETWORK` one too (refined by a transport code along',
      "  `cause`); `CanceledError` (`code: ERR_CANCELED`, `__CANCEL__`) is the caller's cancel and is not retried;",
      '  other `ERR_*` codes are not retried.',
      '- **got** (`name` `HTTPError`, `RequestError`, `ReadError`, `CancelError`, ...; `source/core/errors.ts`): the',
      '  status from `response.statusCode`, headers from its lower-cased `response.headers`; `TimeoutError` by its',
      "  `code` `ETIMEDOUT`; Node's codes as they are; `ERR_CANCELED` is the caller's cancel; other `ERR_*` codes",
      '  are not retried.',
      "- **ky** (`source/errors/`): `HTTPError`'s `response` is the `fetch` `Response` (`status`, `headers.get`);",
      '  `TimeoutError` by its name; `NetworkError` is a connection failure, refined by the code along `cause`.',
      '- **a `fetch` `Response` thrown by user code**: `ok === false`, an HTTP `status` (an integer, 100 to 599)',
      '  and `headers.get`.',
      '- **any other error** (a string `message`) whose `response` has an HTTP `status` or `statusCode` and a',
      '  `headers` object (superagent, ofetch, wrappers).',
      '',
      "`@RetryOpenAI` and `@RetryAzure` leave these to their callers (Node's transport codes aside, which",
      '`@RetryAzure` knows).',
    ].join('\n'),
    cases: HTTP_CLIENT_CASES,
  },
  {
    title: "The library's own errors",
    intro:
      'Thrown by the engine; a timeout of the library is a timeout, so an exhausted call can move on to a fallback.',
    cases: LIBRARY_CASES,
  },
];

function verdict(classification: ErrorClassification | undefined): string {
  if (classification === undefined) return 'not recognised';
  return classification.retryable ? '**retries**' : 'no';
}

function renderCase(item: Case): string[] {
  const error = item.error();
  const result = classifyError(error, NOW);
  return [
    item.label,
    code(errorTypeOf(error)),
    code(result.kind),
    result.retryable ? 'yes' : 'no',
    code(result.reason),
    result.retryAfterMs === undefined ? '' : `${result.retryAfterMs} ms`,
    verdict(classifyOpenAIError(error, NOW)),
    verdict(classifyAzureError(error, NOW)),
    verdict(classifyNetworkError(error, NOW)),
  ];
}

function statusLabel(from: number, to: number, index: number): string {
  if (from === to) return String(from);
  // A range after specific rows of the same range only covers what they leave.
  const covered = STATUS_RULES.slice(0, index).some((rule) => rule.from >= from && rule.to <= to);
  return `${from}–${to}${covered ? ' (the others)' : ''}`;
}

export function renderClassification(): string {
  const header = [
    'case',
    'class',
    'kind',
    'retryable',
    'reason',
    'Retry-After',
    '`@RetryOpenAI`',
    '`@RetryAzure`',
    '`@RetryNetwork`',
  ];
  return [
    generatedBanner("src/classification by classifying errors built with the providers' classes"),
    '',
    '# Error classification',
    '',
    '`classifyError(error)` returns `{ kind, retryable, reason, retryAfterMs?, status?, requestId? }` for any thrown value and',
    'never throws. The decorators retry what their predicate accepts: `@RetryOpenAI` uses `shouldRetryOpenAIError`',
    "(openai SDK errors, and a response body cut mid-way: undici's `TypeError: terminated`, which the SDK lets",
    'through unwrapped), `@RetryAzure` `shouldRetryAzureError` (adds `RestError`, @azure/identity and Node',
    'system errors), `@RetryNetwork` `shouldRetryNetworkError` (adds bare undici, `fetch` and AbortSignal errors).',
    'A stream is retried only before its commit point (its first content item; README "Streams"), whatever the predicate says;',
    'a failure event of a stream (`response.failed`, `error`) is a `StreamEventError`, classified by its code.',
    '"not recognised" means the decorator\'s predicate does not know the error, so it is not retried.',
    "`reason` is drawn from a fixed vocabulary and never echoes the provider's message. `requestId` (openai's",
    '`requestID`, or the `x-request-id`, `apim-request-id` or `x-ms-request-id` header) is kept only when it is a',
    'plain id token (letters, digits and `-_.:`, at most 128 characters); any other value is dropped whole.',
    '',
    "Precedence: the caller's abort, credential errors, the library's open circuit, a provider code that refines",
    'the status, the status, the transport code, then timeout and connection flags; finally an `x-should-retry`',
    'header (`true`/`false`) overrides the verdict, as openai-node does. Retry-After comes from `retry-after-ms`,',
    '`x-ms-retry-after-ms` or `retry-after` (seconds or an HTTP date); the engine waits at least that long and',
    'fails at once when it exceeds `maxRetryAfterMs`.',
    '',
    '## Rules',
    '',
    '### HTTP status (`STATUS_RULES`, first match wins)',
    '',
    table(
      ['status', 'kind', 'retryable'],
      STATUS_RULES.map((rule, index) => [
        statusLabel(rule.from, rule.to, index),
        code(rule.kind),
        rule.retryable ? 'yes' : 'no',
      ]),
    ),
    '',
    'A status outside 400–599 is `unknown` and not retryable.',
    '',
    '### Provider error codes (`PROVIDER_CODE_RULES`, win over the status)',
    '',
    "Matched against the body's `error.code`, `error.type` and Azure's `error.innererror.code`, for the listed",
    'statuses (or when there is no status).',
    '',
    table(
      ['code', 'statuses', 'kind', 'retryable'],
      PROVIDER_CODE_RULES.map((rule) => [
        code(rule.code),
        rule.statuses.join(', '),
        code(rule.kind),
        rule.retryable ? 'yes' : 'no',
      ]),
    ),
    '',
    '### Transport error codes (`NETWORK_CODE_RULES`)',
    '',
    table(
      ['code', 'kind', 'retryable'],
      Object.entries(NETWORK_CODE_RULES).map(([name, rule]) => [
        code(name),
        code(rule.kind),
        rule.retryable ? 'yes' : 'no',
      ]),
    ),
    '',
    '## By provider',
    '',
    "Each row is an error built with the provider's own classes (the way the SDK builds it from a response) and",
    `classified by the code; an HTTP-date Retry-After is read as of ${new Date(NOW).toISOString()}.`,
    '',
    ...CLASSIFICATION_SECTIONS.flatMap((section) => [
      `### ${section.title}`,
      '',
      section.intro,
      '',
      table(header, section.cases.map(renderCase)),
      '',
    ]),
  ].join('\n');
}
