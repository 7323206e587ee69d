// Table-driven classification of errors built with the providers' own classes (no server):
// every row is one decision (provider, status, code, type, class name, cause chain), so that a
// changed decision fails a named row. Mutation testing (npm run test:mutation -- classification)
// measures how well these tables pin the adapters down.
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  ContentFilterFinishReasonError,
  LengthFinishReasonError,
  OAuthError,
  OpenAIError,
  SubjectTokenProviderError,
} from 'openai/core/error';
import { RestError, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { CredentialUnavailableError } from '@azure/identity';
import { PIPELINE_ABORT_IN_FLIGHT } from '../../src/classification/adapters/azure-rest-error-facts';
import {
  classifyAzureError,
  classifyError,
  classifyNetworkError,
  classifyOpenAIError,
  type ErrorClassification,
} from '../../src/classification';
import {
  PROVIDER_CODE_RULES,
  STATUS_RULES,
  ruleForProviderCode,
  ruleForStatus,
} from '../../src/classification/status-table';

const NOW = Date.parse('2025-01-01T00:00:00Z');

/** What the SDK builds from a response: `APIError.generate` picks the subclass by status. */
function sdkError(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { error: body }, 'message', new Headers(headers));
}

/** A Node system error with `code`, as `net` builds it. */
function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code, errno: -1, syscall: 'connect' });
}

/** `TypeError: fetch failed` as undici reports a transport failure, with the socket error as its cause. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

function timeoutDomException(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** What a minified build of openai leaves: an APIError's own fields, under a mangled class name. */
class e extends Error {
  status: number | undefined;
  headers: Headers | undefined;
  error: unknown;
  requestID: string | undefined;
  constructor(status: number | undefined, error: unknown, cause?: unknown, headers?: Headers) {
    super('minified', cause === undefined ? undefined : { cause });
    this.status = status;
    this.headers = headers;
    this.error = error;
    this.requestID = headers?.get('x-request-id') ?? undefined;
  }
}

type Row = [label: string, error: unknown, expected: ErrorClassification];

const only = (
  kind: ErrorClassification['kind'],
  retryable: boolean,
  reason: string,
  extra: Partial<ErrorClassification> = {},
) => ({ kind, retryable, reason, ...extra }) as ErrorClassification;

describe('openai SDK errors by status, code, type and inner code', () => {
  it.each<Row>([
    [
      '429 rate limit',
      sdkError(429, { code: 'rate_limit_exceeded', type: 'requests' }),
      only('rate_limit', true, 'status 429', { status: 429 }),
    ],
    // Decided (docs/classification.md): `type` alone names an exhausted quota too.
    [
      '429 quota named only by `type`',
      sdkError(429, { code: null, type: 'insufficient_quota' }),
      only('quota_exhausted', false, 'insufficient_quota', { status: 429 }),
    ],
    [
      '429 quota named only by `code`',
      sdkError(429, { code: 'insufficient_quota', type: 'requests' }),
      only('quota_exhausted', false, 'insufficient_quota', { status: 429 }),
    ],
    [
      '429 quota named only by innererror.code',
      sdkError(429, { innererror: { code: 'insufficient_quota' } }),
      only('quota_exhausted', false, 'insufficient_quota', { status: 429 }),
    ],
    [
      'quota code on a 500 is a server error',
      sdkError(500, { code: 'insufficient_quota' }),
      only('server', true, 'status 500', { status: 500 }),
    ],
    [
      '400 content_filter by type',
      sdkError(400, { type: 'content_filter' }),
      only('content_filter', false, 'content_filter', { status: 400 }),
    ],
    [
      '400 ResponsibleAIPolicyViolation as code',
      sdkError(400, { code: 'ResponsibleAIPolicyViolation' }),
      only('content_filter', false, 'ResponsibleAIPolicyViolation', { status: 400 }),
    ],
    [
      '400: code wins over type',
      sdkError(400, { code: 'context_length_exceeded', type: 'content_filter' }),
      only('context_length', false, 'context_length_exceeded', { status: 400 }),
    ],
    [
      '400: type wins over innererror',
      sdkError(400, { type: 'context_length_exceeded', innererror: { code: 'ResponsibleAIPolicyViolation' } }),
      only('context_length', false, 'context_length_exceeded', { status: 400 }),
    ],
    [
      '400: an unknown code falls through to the type',
      sdkError(400, { code: 'invalid_value', type: 'content_filter' }),
      only('content_filter', false, 'content_filter', { status: 400 }),
    ],
    [
      '400: non-string codes are ignored',
      sdkError(400, { code: 400, type: ['content_filter'] }),
      only('bad_request', false, 'status 400', { status: 400 }),
    ],
    ['418 is another 4xx', sdkError(418, {}), only('bad_request', false, 'status 418', { status: 418 })],
    ['402 is another 4xx', sdkError(402, {}), only('bad_request', false, 'status 402', { status: 402 })],
    ['499 is another 4xx', sdkError(499, {}), only('bad_request', false, 'status 499', { status: 499 })],
    ['500', sdkError(500, {}), only('server', true, 'status 500', { status: 500 })],
    ['502', sdkError(502, {}), only('server', true, 'status 502', { status: 502 })],
    ['599', sdkError(599, {}), only('server', true, 'status 599', { status: 599 })],
    ['506', sdkError(506, {}), only('server', true, 'status 506', { status: 506 })],
    ['504', sdkError(504, {}), only('server', true, 'status 504', { status: 504 })],
    ['600 is outside every rule', sdkError(600, {}), only('unknown', false, 'status 600', { status: 600 })],
    ['399 is outside every rule', sdkError(399, {}), only('unknown', false, 'status 399', { status: 399 })],
    [
      'a non-integer status is not a status',
      Object.assign(sdkError(500, {}), { status: 500.5 }),
      only('unknown', false, 'unclassified openai error'),
    ],
    [
      'a string status is not a status',
      Object.assign(sdkError(500, {}), { status: '500' }),
      only('unknown', false, 'unclassified openai error'),
    ],
  ])('%s', (_label, error, expected) => {
    expect(classifyOpenAIError(error, NOW)).toEqual(expected);
    expect(classifyError(error, NOW)).toEqual(expected);
  });

  it('reads the code and type from the body when the error itself has none', () => {
    const error = sdkError(429, { code: 'insufficient_quota' });
    Object.assign(error, { code: undefined, type: undefined });
    expect(classifyOpenAIError(error, NOW)).toMatchObject({ kind: 'quota_exhausted' });
    const byType = sdkError(429, { type: 'insufficient_quota' });
    Object.assign(byType, { code: undefined, type: undefined });
    expect(classifyOpenAIError(byType, NOW)).toMatchObject({ kind: 'quota_exhausted' });
  });

  it("prefers the error's own code and type over the body's", () => {
    const error = sdkError(400, { code: 'content_filter', type: 'content_filter' });
    Object.assign(error, { code: 'context_length_exceeded' });
    expect(classifyOpenAIError(error, NOW)).toMatchObject({ kind: 'context_length' });
    const byType = sdkError(400, { type: 'content_filter' });
    Object.assign(byType, { type: 'context_length_exceeded' });
    expect(classifyOpenAIError(byType, NOW)).toMatchObject({ kind: 'context_length' });
  });
});

describe('openai SDK errors: request id, headers and Retry-After', () => {
  it.each<[string, Record<string, string>, Partial<ErrorClassification>]>([
    ['x-request-id (as requestID)', { 'x-request-id': 'req_1' }, { requestId: 'req_1' }],
    ['apim-request-id', { 'apim-request-id': 'apim_1' }, { requestId: 'apim_1' }],
    ['x-ms-request-id', { 'x-ms-request-id': 'ms_1' }, { requestId: 'ms_1' }],
    [
      'apim-request-id before x-ms-request-id',
      { 'x-ms-request-id': 'ms_2', 'apim-request-id': 'apim_2' },
      { requestId: 'apim_2' },
    ],
    ['retry-after-ms', { 'retry-after-ms': '250' }, { retryAfterMs: 250 }],
  ])('%s', (_label, headers, expected) => {
    expect(classifyOpenAIError(sdkError(429, {}, headers), NOW)).toEqual({
      kind: 'rate_limit',
      retryable: true,
      reason: 'status 429',
      status: 429,
      ...expected,
    });
  });

  it('openai 4 named the id `request_id`; an empty id is no id', () => {
    const v4 = Object.assign(sdkError(500, {}), { requestID: undefined, request_id: 'req_v4' });
    expect(classifyOpenAIError(v4, NOW)).toMatchObject({ requestId: 'req_v4' });
    const empty = Object.assign(sdkError(500, {}, { 'apim-request-id': 'apim_3' }), { requestID: '' });
    expect(classifyOpenAIError(empty, NOW)).not.toHaveProperty('requestId');
  });

  it('headers of null are no headers', () => {
    const error = Object.assign(sdkError(503, {}), { headers: null });
    expect(classifyOpenAIError(error, NOW)).toEqual(only('server', true, 'status 503', { status: 503 }));
  });
});

describe('openai SDK errors by class name and cause chain', () => {
  const refused = fetchFailed(systemError('ECONNREFUSED'));
  it.each<Row>([
    ['APIUserAbortError', new APIUserAbortError(), only('aborted', false, 'aborted by caller')],
    ['APIConnectionTimeoutError', new APIConnectionTimeoutError(), only('timeout', true, 'timeout')],
    [
      'APIConnectionError without a cause',
      new APIConnectionError({ message: undefined }),
      only('network', true, 'connection error'),
    ],
    [
      'APIConnectionError, cause fetch failed <- ECONNREFUSED',
      new APIConnectionError({ cause: refused }),
      only('network', true, 'ECONNREFUSED'),
    ],
    [
      'APIConnectionError, cause ENOTFOUND',
      new APIConnectionError({ cause: fetchFailed(systemError('ENOTFOUND')) }),
      only('network', false, 'ENOTFOUND'),
    ],
    // The SDK's own timeout loses its name inside jest's realm: the cause chain still says timeout.
    [
      'APIConnectionError, cause chain with a TimeoutError',
      new APIConnectionError({ cause: new Error('aborted', { cause: timeoutDomException() }) }),
      only('timeout', true, 'timeout'),
    ],
    [
      'APIConnectionError, cause TimeoutError itself',
      new APIConnectionError({ cause: timeoutDomException() }),
      only('timeout', true, 'timeout'),
    ],
    [
      'APIConnectionError, cause UND_ERR_HEADERS_TIMEOUT',
      new APIConnectionError({
        cause: fetchFailed(Object.assign(new Error('h'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
      }),
      only('timeout', true, 'UND_ERR_HEADERS_TIMEOUT'),
    ],
    [
      'ContentFilterFinishReasonError',
      new ContentFilterFinishReasonError(),
      only('content_filter', false, 'content_filter'),
    ],
    // Decided: an SDK error with no status and no cause is not a transport failure.
    ['LengthFinishReasonError', new LengthFinishReasonError(), only('unknown', false, 'unclassified openai error')],
    ['a bare OpenAIError', new OpenAIError('something'), only('unknown', false, 'unclassified openai error')],
    // Only APIConnectionError and the APIError shape are transport failures, not any SDK error with a cause.
    [
      'an OpenAIError with a cause that is no credential error',
      new OpenAIError('something', { cause: new Error('inner') }),
      only('unknown', false, 'unclassified openai error'),
    ],
    // Decided (issue #13): the data of a stream's error event, thrown by the SDK, is classified by its code.
    [
      'APIError with no status and no cause (a stream error event, server_error)',
      new APIError(undefined, { type: 'server_error' }, 'stream', new Headers()),
      only('server', true, 'server_error'),
    ],
    [
      'APIError with no status and no cause (a stream error event, rate_limit_exceeded as code)',
      new APIError(undefined, { code: 'rate_limit_exceeded' }, 'stream', new Headers()),
      only('rate_limit', true, 'rate_limit_exceeded'),
    ],
    [
      'APIError with no status and no cause (a stream error event, a code not in the table)',
      new APIError(undefined, { type: 'mystery' }, 'stream', new Headers()),
      only('unknown', false, 'unclassified openai error'),
    ],
    [
      'APIError with no status, no body and no cause',
      new APIError(undefined, undefined, 'x', undefined),
      only('unknown', false, 'unclassified openai error'),
    ],
    // Decided: OAuth token exchange and subject-token failures are credential failures.
    [
      'OAuthError 400 invalid_grant',
      new OAuthError(400, { error: 'invalid_grant' }, new Headers()),
      only('auth', false, 'credential error', { status: 400 }),
    ],
    [
      'OAuthError 401',
      new OAuthError(401, { error: 'invalid_client' }, new Headers()),
      only('auth', false, 'credential error', { status: 401 }),
    ],
    [
      'SubjectTokenProviderError with a cause',
      new SubjectTokenProviderError('token file', 'kubernetes', systemError('ECONNREFUSED')),
      only('auth', false, 'credential error'),
    ],
    [
      'SubjectTokenProviderError without a cause',
      new SubjectTokenProviderError('IMDS', 'azure-imds'),
      only('auth', false, 'credential error'),
    ],
    [
      'OpenAIError: apiKey function failed',
      new OpenAIError("Failed to get token from 'apiKey' function"),
      only('auth', false, 'credential error'),
    ],
    [
      'OpenAIError: apiKey function returned no string',
      new OpenAIError("Expected 'apiKey' function argument to return a string but it returned 1"),
      only('auth', false, 'credential error'),
    ],
    [
      "an APIError (a server's stream error event) whose message is the SDK's token text: not a credential error",
      new APIError(undefined, { message: "Failed to get token from 'apiKey' function" }, undefined, undefined),
      only('unknown', false, 'unclassified openai error'),
    ],
    [
      'OpenAIError: the fixed text not at the start',
      new OpenAIError("Oops: Failed to get token from 'apiKey' function"),
      only('unknown', false, 'unclassified openai error'),
    ],
    [
      'OpenAIError whose cause is a credential error',
      new OpenAIError('wrapped', { cause: new CredentialUnavailableError('no') }),
      only('auth', false, 'credential error'),
    ],
  ])('%s', (_label, error, expected) => {
    expect(classifyOpenAIError(error, NOW)).toEqual(expected);
  });

  it('an APIError with no status whose cause is set is a connection error (also minified)', () => {
    const error = new APIError(undefined, undefined, 'x', undefined);
    Object.assign(error, { cause: fetchFailed(systemError('ECONNRESET')) });
    expect(classifyOpenAIError(error, NOW)).toEqual(only('network', true, 'ECONNRESET'));
    const withoutCode = new APIError(undefined, undefined, 'x', undefined);
    Object.assign(withoutCode, { cause: new Error('x') });
    expect(classifyOpenAIError(withoutCode, NOW)).toEqual(only('network', true, 'connection error'));
  });

  it('a status with a cause is a response, not a transport failure', () => {
    const error = sdkError(400, {});
    Object.assign(error, { cause: fetchFailed(systemError('ECONNRESET')) });
    expect(classifyOpenAIError(error, NOW)).toEqual(only('bad_request', false, 'status 400', { status: 400 }));
  });

  it('an OpenAI class name with a name of its own is not the SDK (e.g. @azure/identity)', () => {
    class AuthenticationError extends Error {
      override name = 'AuthenticationError';
    }
    class APIUserAbortError extends Error {
      override name = 'Aborted';
    }
    expect(classifyOpenAIError(new AuthenticationError('x'))).toBeUndefined();
    expect(classifyOpenAIError(new APIUserAbortError('x'))).toBeUndefined();
  });

  it.each([
    'OpenAIError',
    'APIError',
    'APIUserAbortError',
    'APIConnectionError',
    'APIConnectionTimeoutError',
    'BadRequestError',
    'AuthenticationError',
    'PermissionDeniedError',
    'NotFoundError',
    'ConflictError',
    'UnprocessableEntityError',
    'RateLimitError',
    'InternalServerError',
    'LengthFinishReasonError',
    'ContentFilterFinishReasonError',
    'OAuthError',
    'SubjectTokenProviderError',
  ])('class name %s (name "Error") is recognised without APIError fields', (className) => {
    const named = (name: string) => Object.defineProperty(new Error('x'), 'constructor', { value: { name } });
    expect(classifyOpenAIError(named(className), NOW)).toBeDefined();
    expect(classifyOpenAIError(named(`${className}X`), NOW)).toBeUndefined();
  });
});

describe('minified openai builds: recognised by shape', () => {
  it.each<Row>([
    [
      'a 429 with code insufficient_quota',
      new e(429, { code: 'insufficient_quota' }),
      only('quota_exhausted', false, 'insufficient_quota', { status: 429 }),
    ],
    [
      'a 429 with type insufficient_quota',
      new e(429, { type: 'insufficient_quota' }),
      only('quota_exhausted', false, 'insufficient_quota', { status: 429 }),
    ],
    [
      'a 503 with a request id',
      new e(503, {}, undefined, new Headers({ 'x-request-id': 'req_m' })),
      only('server', true, 'status 503', { status: 503, requestId: 'req_m' }),
    ],
    [
      'no status, cause ECONNRESET',
      new e(undefined, undefined, fetchFailed(systemError('ECONNRESET'))),
      only('network', true, 'ECONNRESET'),
    ],
    [
      'no status, cause TimeoutError',
      new e(undefined, undefined, timeoutDomException()),
      only('timeout', true, 'timeout'),
    ],
    ['no status, no cause', new e(undefined, undefined), only('unknown', false, 'unclassified openai error')],
  ])('%s', (_label, error, expected) => {
    expect(classifyOpenAIError(error, NOW)).toEqual(expected);
  });

  it.each(['status', 'headers', 'error', 'requestID'])('without its own `%s` it is not the SDK', (field) => {
    const error = new e(503, {});
    delete (error as unknown as Record<string, unknown>)[field];
    expect(classifyOpenAIError(error, NOW)).toBeUndefined();
  });

  it('openai 4 shape: request_id instead of requestID', () => {
    const error = new e(503, {});
    delete (error as unknown as Record<string, unknown>).requestID;
    Object.assign(error, { request_id: 'req_4' });
    expect(classifyOpenAIError(error, NOW)).toEqual(
      only('server', true, 'status 503', { status: 503, requestId: 'req_4' }),
    );
  });
});

describe('RestError (@azure/core-rest-pipeline)', () => {
  const request = createPipelineRequest({ url: 'https://example.openai.azure.com/x' });
  function restError(
    statusCode: number | undefined,
    options: { code?: string; headers?: Record<string, string>; bodyAsText?: string; parsedBody?: unknown } = {},
  ): RestError {
    const response =
      statusCode === undefined
        ? undefined
        : Object.assign(
            { status: statusCode, headers: createHttpHeaders(options.headers ?? {}), request },
            options.bodyAsText === undefined ? {} : { bodyAsText: options.bodyAsText },
            options.parsedBody === undefined ? {} : { parsedBody: options.parsedBody },
          );
    return new RestError(`Status ${statusCode}`, { statusCode, code: options.code, response, request });
  }
  const json = (value: unknown) => JSON.stringify(value);

  it.each<Row>([
    [
      '400 with its own code ResponsibleAIPolicyViolation',
      restError(400, { code: 'ResponsibleAIPolicyViolation' }),
      only('content_filter', false, 'ResponsibleAIPolicyViolation', { status: 400 }),
    ],
    [
      '400 with its own code winning over the body',
      restError(400, { code: 'context_length_exceeded', bodyAsText: json({ error: { code: 'content_filter' } }) }),
      only('context_length', false, 'context_length_exceeded', { status: 400 }),
    ],
    [
      '400, innererror code only',
      restError(400, {
        bodyAsText: json({ error: { code: 'BadRequest', innererror: { code: 'ResponsibleAIPolicyViolation' } } }),
      }),
      only('content_filter', false, 'ResponsibleAIPolicyViolation', { status: 400 }),
    ],
    [
      '400, parsedBody (core-client) instead of bodyAsText',
      restError(400, {
        parsedBody: { error: { code: 'content_filter' } },
        bodyAsText: json({ error: { code: 'context_length_exceeded' } }),
      }),
      only('content_filter', false, 'content_filter', { status: 400 }),
    ],
    [
      '400, parsedBody null: bodyAsText is read',
      restError(400, { parsedBody: null, bodyAsText: json({ error: { code: 'content_filter' } }) }),
      only('content_filter', false, 'content_filter', { status: 400 }),
    ],
    [
      '400, parsedBody a string: bodyAsText is read',
      restError(400, { parsedBody: 'text', bodyAsText: json({ error: { code: 'context_length_exceeded' } }) }),
      only('context_length', false, 'context_length_exceeded', { status: 400 }),
    ],
    [
      '400, bodyAsText not JSON',
      restError(400, { bodyAsText: '<html>' }),
      only('bad_request', false, 'status 400', { status: 400 }),
    ],
    [
      '400, bodyAsText longer than 64 KiB is not parsed',
      restError(400, { bodyAsText: json({ error: { code: 'content_filter' }, pad: 'x'.repeat(64 * 1024) }) }),
      only('bad_request', false, 'status 400', { status: 400 }),
    ],
    [
      '400, bodyAsText of exactly 64 KiB is parsed',
      restError(400, { bodyAsText: padTo(json({ error: { code: 'content_filter' } }), 64 * 1024) }),
      only('content_filter', false, 'content_filter', { status: 400 }),
    ],
    [
      '429 with x-ms-request-id',
      restError(429, { headers: { 'x-ms-request-id': 'ms_9' } }),
      only('rate_limit', true, 'status 429', { status: 429, requestId: 'ms_9' }),
    ],
    [
      '503 with x-request-id',
      restError(503, { headers: { 'x-request-id': 'xr_9' } }),
      only('server', true, 'status 503', { status: 503, requestId: 'xr_9' }),
    ],
    [
      'a 503 whose code is a transport code stays a 503',
      restError(503, { code: 'ECONNRESET' }),
      only('server', true, 'status 503', { status: 503 }),
    ],
    [
      'no response, UND_ERR_SOCKET',
      restError(undefined, { code: 'UND_ERR_SOCKET' }),
      only('network', true, 'UND_ERR_SOCKET'),
    ],
    ['no response, ETIMEDOUT', restError(undefined, { code: 'ETIMEDOUT' }), only('timeout', true, 'ETIMEDOUT')],
    ['no response, no code', restError(undefined), only('unknown', false, 'unclassified azure error')],
    [
      'no response, an unknown code',
      restError(undefined, { code: 'PARSE_ERROR' }),
      only('unknown', false, 'unclassified azure error'),
    ],
    ['status 99 is no status', restError(99), only('unknown', false, 'unclassified azure error')],
    ['status 600 is no status', restError(600), only('unknown', false, 'unclassified azure error')],
    ['status 100 is a status', restError(100), only('unknown', false, 'status 100', { status: 100 })],
    ['status 599 is a status', restError(599), only('server', true, 'status 599', { status: 599 })],
  ])('%s', (_label, error, expected) => {
    expect(classifyAzureError(error, NOW)).toEqual(expected);
    expect(classifyNetworkError(error, NOW)).toEqual(expected);
  });

  it('a non-integer statusCode is no status', () => {
    const error = Object.assign(restError(503), { statusCode: 503.5 });
    expect(classifyAzureError(error, NOW)).toEqual(only('unknown', false, 'unclassified azure error'));
  });

  it('only name RestError is a RestError', () => {
    const error = Object.assign(restError(503), { name: 'OtherError' });
    expect(classifyAzureError(error, NOW)).toBeUndefined();
  });
});

describe("core-rest-pipeline's in-flight abort: the request's own timeout", () => {
  const abortError = (message: string, name = 'AbortError') => Object.assign(new Error(message), { name });

  it('the in-flight abort message is the pipeline timeout: retried', () => {
    const error = abortError(PIPELINE_ABORT_IN_FLIGHT);
    expect(classifyAzureError(error, NOW)).toEqual(only('timeout', true, 'timeout'));
    expect(classifyNetworkError(error, NOW)).toEqual(only('timeout', true, 'timeout'));
  });

  it('an abort with another message ("Request has already been canceled.") stays the caller\'s', () => {
    const error = abortError('Request has already been canceled.');
    expect(classifyAzureError(error, NOW)).toBeUndefined();
    expect(classifyNetworkError(error, NOW)).toEqual(only('aborted', false, 'aborted by caller'));
  });

  it('the message under another name is not the pipeline', () => {
    expect(classifyAzureError(abortError(PIPELINE_ABORT_IN_FLIGHT, 'Error'), NOW)).toBeUndefined();
  });
});

function padTo(text: string, length: number): string {
  return text.slice(0, -1) + ' '.repeat(length - text.length) + '}';
}

describe('the tables', () => {
  it('status rules: first match wins, bounds inclusive', () => {
    expect(ruleForStatus(400)).toEqual(STATUS_RULES[0]);
    expect(ruleForStatus(500)).toEqual({ from: 500, to: 599, kind: 'server', retryable: true });
    expect(ruleForStatus(499)).toEqual({ from: 400, to: 499, kind: 'bad_request', retryable: false });
    expect(ruleForStatus(600)).toBeUndefined();
    expect(ruleForStatus(399)).toBeUndefined();
  });

  it('provider codes: a rule applies to its statuses, or when there is no status', () => {
    expect(ruleForProviderCode(['insufficient_quota'], undefined)).toBe(PROVIDER_CODE_RULES[0]);
    expect(ruleForProviderCode(['insufficient_quota'], 400)).toBeUndefined();
    expect(ruleForProviderCode([undefined, 'content_filter'], 400)?.code).toBe('content_filter');
    expect(ruleForProviderCode(['insufficient_quota', 'content_filter'], 400)?.code).toBe('content_filter');
    expect(ruleForProviderCode(['nope'], 400)).toBeUndefined();
  });

  it('the tables are frozen', () => {
    expect(Object.isFrozen(STATUS_RULES)).toBe(true);
    expect(Object.isFrozen(STATUS_RULES[0])).toBe(true);
    expect(Object.isFrozen(PROVIDER_CODE_RULES[0]?.statuses)).toBe(true);
  });
});
