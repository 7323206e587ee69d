import * as net from 'node:net';
import OpenAI, { AzureOpenAI } from 'openai';
import {
  AggregateAuthenticationError,
  AuthenticationError as IdentityAuthenticationError,
  AuthenticationRequiredError,
  CredentialUnavailableError,
  EnvironmentCredential,
  getBearerTokenProvider,
} from '@azure/identity';
import {
  RestError,
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import fc from 'fast-check';
import {
  classifyAzureError,
  classifyError,
  classifyFacts,
  classifyNetworkError,
  classifyOpenAIError,
  shouldRetryAzureError,
  shouldRetryNetworkError,
  shouldRetryOpenAIError,
  type ErrorClassification,
  type FailureKind,
} from '../../src/classification';
import {
  closedPortUrl,
  reply,
  startLoopbackServer,
  type LoopbackReply,
  type LoopbackServer,
} from '../support/loopback-server';

const NOW = Date.parse('2025-01-01T00:00:00Z');
/** Put into every error body: a classification must never echo provider text. */
const SECRET = 'SECRET-prompt-text-sk-live-123';

/** Routes `/s/<scenario>/...` to the scenario's scripted reply. */
const scenarios = new Map<string, LoopbackReply>();
let server: LoopbackServer;
let closedUrl: string;

beforeAll(async () => {
  server = await startLoopbackServer((request) => {
    const name = /^\/s\/([^/]+)\//.exec(request.url)?.[1] ?? '';
    return scenarios.get(name) ?? reply.json(404, { error: { code: 'no_scenario', message: name } });
  });
  closedUrl = await closedPortUrl();
});

afterAll(async () => {
  await server.close();
});

function scenario(name: string, chosen: LoopbackReply): string {
  scenarios.set(name, chosen);
  return `${server.url}/s/${name}`;
}

/** The rejection value of `promise`; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

const chatRequest = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };

function openAIClient(baseURL: string, options: { timeout?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: `${baseURL}/v1`, maxRetries: 0, ...options });
}

function azureOpenAIClient(endpoint: string): AzureOpenAI {
  return new AzureOpenAI({
    apiKey: 'azure-key',
    endpoint,
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    maxRetries: 0,
  });
}

const clients = {
  openai: (endpoint: string) => rejectionOf(openAIClient(endpoint).chat.completions.create(chatRequest)),
  'azure-openai': (endpoint: string) => rejectionOf(azureOpenAIClient(endpoint).chat.completions.create(chatRequest)),
};

interface HttpCase {
  name: string;
  reply: LoopbackReply;
  expected: Omit<ErrorClassification, 'requestId'> & { requestId?: string };
}

const body = (error: Record<string, unknown>) => ({ error: { message: SECRET, ...error } });

const HTTP_CASES: HttpCase[] = [
  {
    name: 'rate-limit-ms',
    reply: reply.json(429, body({ code: 'rate_limit_exceeded', type: 'requests' }), {
      'retry-after-ms': '150',
      'x-request-id': 'req_1',
    }),
    expected: {
      kind: 'rate_limit',
      retryable: true,
      reason: 'status 429',
      status: 429,
      retryAfterMs: 150,
      requestId: 'req_1',
    },
  },
  {
    name: 'rate-limit-seconds',
    reply: reply.json(429, body({ code: '429' }), { 'retry-after': '2', 'x-request-id': 'req_2' }),
    expected: {
      kind: 'rate_limit',
      retryable: true,
      reason: 'status 429',
      status: 429,
      retryAfterMs: 2000,
      requestId: 'req_2',
    },
  },
  {
    name: 'rate-limit-date',
    reply: reply.json(429, body({}), { 'retry-after': new Date(NOW + 3000).toUTCString() }),
    expected: { kind: 'rate_limit', retryable: true, reason: 'status 429', status: 429, retryAfterMs: 3000 },
  },
  {
    name: 'insufficient-quota',
    reply: reply.json(429, body({ code: 'insufficient_quota', type: 'insufficient_quota' }), { 'retry-after': '1' }),
    expected: {
      kind: 'quota_exhausted',
      retryable: false,
      reason: 'insufficient_quota',
      status: 429,
      retryAfterMs: 1000,
    },
  },
  {
    name: 'server-500',
    reply: reply.json(500, body({ type: 'server_error' }), { 'x-request-id': 'req_500' }),
    expected: { kind: 'server', retryable: true, reason: 'status 500', status: 500, requestId: 'req_500' },
  },
  {
    name: 'not-implemented-501',
    reply: reply.json(501, body({})),
    expected: { kind: 'server', retryable: false, reason: 'status 501', status: 501 },
  },
  {
    name: 'unavailable-503',
    reply: reply.json(503, body({}), { 'x-ms-retry-after-ms': '250' }),
    expected: { kind: 'server', retryable: true, reason: 'status 503', status: 503, retryAfterMs: 250 },
  },
  {
    name: 'unauthorized-401',
    reply: reply.json(401, body({ code: 'invalid_api_key' })),
    expected: { kind: 'auth', retryable: false, reason: 'status 401', status: 401 },
  },
  {
    name: 'forbidden-403',
    reply: reply.json(403, body({})),
    expected: { kind: 'auth', retryable: false, reason: 'status 403', status: 403 },
  },
  {
    name: 'bad-request-400',
    reply: reply.json(400, body({ code: 'invalid_value', type: 'invalid_request_error' })),
    expected: { kind: 'bad_request', retryable: false, reason: 'status 400', status: 400 },
  },
  {
    // Azure OpenAI's documented content-filter error body.
    name: 'content-filter',
    reply: reply.json(
      400,
      body({
        code: 'content_filter',
        param: 'prompt',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: { hate: { filtered: true, severity: 'high' } },
        },
      }),
    ),
    expected: { kind: 'content_filter', retryable: false, reason: 'content_filter', status: 400 },
  },
  {
    name: 'content-filter-innererror-only',
    reply: reply.json(400, body({ code: 'BadRequest', innererror: { code: 'ResponsibleAIPolicyViolation' } })),
    expected: { kind: 'content_filter', retryable: false, reason: 'ResponsibleAIPolicyViolation', status: 400 },
  },
  {
    name: 'context-length',
    reply: reply.json(400, body({ code: 'context_length_exceeded', type: 'invalid_request_error', param: 'messages' })),
    expected: { kind: 'context_length', retryable: false, reason: 'context_length_exceeded', status: 400 },
  },
  {
    name: 'not-found-404',
    reply: reply.json(404, body({ code: 'DeploymentNotFound' })),
    expected: { kind: 'bad_request', retryable: false, reason: 'status 404', status: 404 },
  },
  {
    name: 'request-timeout-408',
    reply: reply.json(408, body({})),
    expected: { kind: 'timeout', retryable: true, reason: 'status 408', status: 408 },
  },
  {
    name: 'conflict-409',
    reply: reply.json(409, body({})),
    expected: { kind: 'server', retryable: true, reason: 'status 409', status: 409 },
  },
  {
    name: 'unprocessable-422',
    reply: reply.json(422, body({})),
    expected: { kind: 'bad_request', retryable: false, reason: 'status 422', status: 422 },
  },
  {
    name: 'should-retry-false-on-503',
    reply: reply.json(503, body({}), { 'x-should-retry': 'false', 'retry-after-ms': '40' }),
    expected: { kind: 'server', retryable: false, reason: 'x-should-retry: false', status: 503, retryAfterMs: 40 },
  },
  {
    name: 'should-retry-true-on-400',
    reply: reply.json(400, body({}), { 'x-should-retry': 'true' }),
    expected: { kind: 'bad_request', retryable: true, reason: 'x-should-retry: true', status: 400 },
  },
  {
    name: 'should-retry-true-on-quota',
    reply: reply.json(429, body({ code: 'insufficient_quota' }), { 'x-should-retry': 'true' }),
    expected: { kind: 'quota_exhausted', retryable: true, reason: 'x-should-retry: true', status: 429 },
  },
  {
    name: 'azure-gateway-request-id',
    reply: reply.json(429, body({ code: '429' }), { 'apim-request-id': 'apim_1', 'retry-after-ms': '5' }),
    expected: {
      kind: 'rate_limit',
      retryable: true,
      reason: 'status 429',
      status: 429,
      retryAfterMs: 5,
      requestId: 'apim_1',
    },
  },
];

describe.each(Object.entries(clients))('real %s client against the loopback server', (_client, call) => {
  it.each(HTTP_CASES)('$name', async ({ name, reply: chosen, expected }) => {
    const error = await call(scenario(name, chosen));

    const classification = classifyError(error, NOW);
    expect(classification).toEqual(expected);
    expect(JSON.stringify(classification)).not.toContain('SECRET');
    // Every scope recognises SDK errors, and agrees.
    expect(classifyOpenAIError(error, NOW)).toEqual(expected);
    expect(classifyAzureError(error, NOW)).toEqual(expected);
    expect(classifyNetworkError(error, NOW)).toEqual(expected);
    expect(shouldRetryOpenAIError(error)).toBe(expected.retryable);
    expect(shouldRetryAzureError(error)).toBe(expected.retryable);
    expect(shouldRetryNetworkError(error)).toBe(expected.retryable);
  });
});

describe('real openai client: transport failures', () => {
  it('socket reset -> network, retryable (APIConnectionError wrapping UND_ERR_SOCKET)', async () => {
    const error = await clients.openai(scenario('reset', reply.reset()));
    expect(classifyError(error)).toEqual({ kind: 'network', retryable: true, reason: 'UND_ERR_SOCKET' });
    expect(shouldRetryOpenAIError(error)).toBe(true);
  });

  it('closed port -> network, retryable (APIConnectionError wrapping ECONNREFUSED)', async () => {
    const error = await clients.openai(closedUrl);
    expect(classifyError(error)).toEqual({ kind: 'network', retryable: true, reason: 'ECONNREFUSED' });
    expect(shouldRetryOpenAIError(error)).toBe(true);
    expect(shouldRetryAzureError(error)).toBe(true);
  });

  it('closed port through AzureOpenAI -> network, retryable', async () => {
    const error = await clients['azure-openai'](closedUrl);
    expect(classifyAzureError(error)).toEqual({ kind: 'network', retryable: true, reason: 'ECONNREFUSED' });
  });

  it('SDK timeout (timeout: 50 against a hanging server) -> retryable', async () => {
    const client = openAIClient(scenario('hang', reply.hang()), { timeout: 50 });
    const error = await rejectionOf(client.chat.completions.create(chatRequest));
    const classification = classifyOpenAIError(error);
    expect(classification?.retryable).toBe(true);
    // Outside jest this is an APIConnectionTimeoutError ('timeout'). Inside jest's realm openai's
    // castToError loses the AbortError's name, so it surfaces as a plain APIConnectionError (TOOLCHAIN.md).
    expect(['timeout', 'network']).toContain(classification?.kind);
  });

  it('the SDK class APIConnectionTimeoutError itself -> timeout, retryable', () => {
    const error = new OpenAI.APIConnectionTimeoutError();
    expect(classifyOpenAIError(error)).toEqual({ kind: 'timeout', retryable: true, reason: 'timeout' });
  });

  it("the caller's AbortController -> aborted, not retryable", async () => {
    const client = openAIClient(scenario('hang-for-abort', reply.hang()));
    const controller = new AbortController();
    const pending = rejectionOf(client.chat.completions.create(chatRequest, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    const error = await pending;
    expect(classifyError(error)).toEqual({ kind: 'aborted', retryable: false, reason: 'aborted by caller' });
    expect(shouldRetryOpenAIError(error)).toBe(false);
    expect(shouldRetryNetworkError(error)).toBe(false);
  });

  it('a body cut mid-stream is a bare TypeError: terminated, which every scope retries (issue #12)', async () => {
    const url = scenario(
      'cut',
      reply.cut(200, '{"id":"chatcmpl-1","choi', { 'content-type': 'application/json', 'content-length': '500' }),
    );
    const error = await clients.openai(url);
    const cut: ErrorClassification = { kind: 'network', retryable: true, reason: 'UND_ERR_SOCKET' };
    expect(classifyOpenAIError(error)).toEqual(cut);
    expect(classifyAzureError(error)).toEqual(cut);
    expect(classifyNetworkError(error)).toEqual(cut);
    expect(shouldRetryOpenAIError(error)).toBe(true);
    expect(shouldRetryAzureError(error)).toBe(true);
  });
});

describe('credential errors (@azure/identity)', () => {
  const CREDENTIAL: ErrorClassification = { kind: 'auth', retryable: false, reason: 'credential error' };
  const savedEnv = { ...process.env };
  beforeAll(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AZURE_')) delete process.env[key];
  });
  afterAll(() => {
    process.env = savedEnv;
  });

  function azureWithTokenProvider(azureADTokenProvider: () => Promise<string>): AzureOpenAI {
    return new AzureOpenAI({
      endpoint: server.url,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o',
      maxRetries: 0,
      azureADTokenProvider,
    });
  }

  it('a token provider throwing CredentialUnavailableError, wrapped by AzureOpenAI as OpenAIError', async () => {
    const client = azureWithTokenProvider(async () => {
      throw new CredentialUnavailableError('no managed identity here');
    });
    const error = await rejectionOf(client.chat.completions.create(chatRequest));
    expect((error as { constructor: { name: string } }).constructor.name).toBe('OpenAIError');
    expect(classifyError(error)).toEqual(CREDENTIAL);
    expect(classifyOpenAIError(error)).toEqual(CREDENTIAL);
    expect(classifyAzureError(error)).toEqual(CREDENTIAL);
    expect(shouldRetryOpenAIError(error)).toBe(false);
    expect(shouldRetryAzureError(error)).toBe(false);
    expect(shouldRetryNetworkError(error)).toBe(false);
  });

  it('a real EnvironmentCredential with no environment, through getBearerTokenProvider', async () => {
    const provider = getBearerTokenProvider(
      new EnvironmentCredential(),
      'https://cognitiveservices.azure.com/.default',
    );
    const error = await rejectionOf(azureWithTokenProvider(provider).chat.completions.create(chatRequest));
    expect(classifyAzureError(error)).toEqual(CREDENTIAL);
  });

  it.each<[string, () => unknown]>([
    ['CredentialUnavailableError', () => new CredentialUnavailableError('x')],
    [
      'AuthenticationError (even a 503 from the token endpoint)',
      () => new IdentityAuthenticationError(503, { error: 'temporarily_unavailable', error_description: SECRET }),
    ],
    [
      'AggregateAuthenticationError',
      () => new AggregateAuthenticationError([new CredentialUnavailableError('a')], 'all failed'),
    ],
    ['AuthenticationRequiredError', () => new AuthenticationRequiredError({ scopes: ['x'] })],
    [
      'a credential error two causes deep',
      () => new Error('outer', { cause: new Error('middle', { cause: new CredentialUnavailableError('x') }) }),
    ],
  ])('%s -> auth, not retryable', (_label, make) => {
    const error = make();
    expect(classifyError(error)).toEqual(CREDENTIAL);
    expect(classifyAzureError(error)).toEqual(CREDENTIAL);
    expect(shouldRetryAzureError(error)).toBe(false);
    expect(shouldRetryNetworkError(error)).toBe(false);
  });

  it("@azure/identity's AuthenticationError is not mistaken for openai's class of the same name", () => {
    const error = new IdentityAuthenticationError(401, { error: 'invalid_client', error_description: 'x' });
    expect(classifyOpenAIError(error)).toBeUndefined();
  });
});

describe('@azure/core-rest-pipeline', () => {
  let pipeline: Pipeline;
  let httpClient: HttpClient;
  beforeAll(() => {
    // The default pipeline retries 408/429/5xx and send errors itself with second-long backoffs;
    // turn that off so the test sees the first failure immediately.
    pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
    httpClient = createDefaultHttpClient();
  });

  /** A non-2xx is a response, not an error: build the RestError an Azure client would throw. */
  async function restErrorFor(name: string, chosen: LoopbackReply): Promise<RestError> {
    const request = createPipelineRequest({ url: `${scenario(name, chosen)}/x`, allowInsecureConnection: true });
    const response = await pipeline.sendRequest(httpClient, request);
    return new RestError(`Status ${response.status}`, { statusCode: response.status, response, request });
  }

  async function sendError(url: string): Promise<unknown> {
    return rejectionOf(pipeline.sendRequest(httpClient, createPipelineRequest({ url, allowInsecureConnection: true })));
  }

  it.each<[string, LoopbackReply, ErrorClassification]>([
    [
      '503 with retry-after and x-ms-request-id',
      reply.json(503, body({}), { 'retry-after': '1', 'x-ms-request-id': 'ms_1' }),
      { kind: 'server', retryable: true, reason: 'status 503', status: 503, retryAfterMs: 1000, requestId: 'ms_1' },
    ],
    [
      '429 with retry-after-ms; apim-request-id preferred',
      reply.json(429, body({ code: '429' }), {
        'retry-after-ms': '120',
        'x-ms-request-id': 'ms_2',
        'apim-request-id': 'apim_2',
      }),
      {
        kind: 'rate_limit',
        retryable: true,
        reason: 'status 429',
        status: 429,
        retryAfterMs: 120,
        requestId: 'apim_2',
      },
    ],
    [
      '429 with x-ms-retry-after-ms and x-request-id',
      reply.json(429, body({}), { 'x-ms-retry-after-ms': '80', 'x-request-id': 'xr_3' }),
      { kind: 'rate_limit', retryable: true, reason: 'status 429', status: 429, retryAfterMs: 80, requestId: 'xr_3' },
    ],
    [
      '400 content_filter (from the body)',
      reply.json(400, body({ code: 'content_filter', innererror: { code: 'ResponsibleAIPolicyViolation' } })),
      { kind: 'content_filter', retryable: false, reason: 'content_filter', status: 400 },
    ],
    [
      '400 context_length_exceeded',
      reply.json(400, body({ code: 'context_length_exceeded' })),
      { kind: 'context_length', retryable: false, reason: 'context_length_exceeded', status: 400 },
    ],
    [
      '401',
      reply.json(401, body({ code: 'PermissionDenied' })),
      { kind: 'auth', retryable: false, reason: 'status 401', status: 401 },
    ],
    ['501', reply.status(501), { kind: 'server', retryable: false, reason: 'status 501', status: 501 }],
    [
      '503 with x-should-retry: false',
      reply.json(503, body({}), { 'x-should-retry': 'false' }),
      { kind: 'server', retryable: false, reason: 'x-should-retry: false', status: 503 },
    ],
  ])('RestError from a %s response', async (label, chosen, expected) => {
    const error = await restErrorFor(label.replace(/\W+/g, '-'), chosen);
    expect(classifyError(error, NOW)).toEqual(expected);
    expect(classifyAzureError(error, NOW)).toEqual(expected);
    expect(shouldRetryAzureError(error)).toBe(expected.retryable);
    expect(shouldRetryNetworkError(error)).toBe(expected.retryable);
    // A RestError is not an openai SDK error.
    expect(classifyOpenAIError(error)).toBeUndefined();
    expect(shouldRetryOpenAIError(error)).toBe(false);
  });

  it('connection refused -> RestError ECONNREFUSED, network, retryable', async () => {
    const error = await sendError(closedUrl);
    expect((error as { name?: string }).name).toBe('RestError');
    expect(classifyAzureError(error)).toEqual({ kind: 'network', retryable: true, reason: 'ECONNREFUSED' });
    expect(shouldRetryOpenAIError(error)).toBe(false);
  });

  it('socket reset -> RestError ECONNRESET, network, retryable', async () => {
    const error = await sendError(`${scenario('azure-reset', reply.reset())}/x`);
    expect(classifyAzureError(error)).toEqual({ kind: 'network', retryable: true, reason: 'ECONNRESET' });
  });

  it('a RestError with REQUEST_SEND_ERROR (a send failure without a socket code) -> network, retryable', () => {
    const error = new RestError('send failed', { code: RestError.REQUEST_SEND_ERROR });
    expect(classifyAzureError(error)).toEqual({ kind: 'network', retryable: true, reason: 'REQUEST_SEND_ERROR' });
  });

  it("the request's own timeout -> AbortError in flight: timeout, retryable (Azure and network scopes)", async () => {
    const url = `${scenario('azure-timeout', reply.hang())}/x`;
    const error = await rejectionOf(
      pipeline.sendRequest(httpClient, createPipelineRequest({ url, allowInsecureConnection: true, timeout: 30 })),
    );
    expect((error as Error).name).toBe('AbortError');
    expect(classifyAzureError(error)).toEqual({ kind: 'timeout', retryable: true, reason: 'timeout' });
    expect(classifyNetworkError(error)).toEqual({ kind: 'timeout', retryable: true, reason: 'timeout' });
    expect(shouldRetryOpenAIError(error)).toBe(false);
  });

  it('a request started with an already aborted signal -> AbortError: aborted, not retryable', async () => {
    const url = `${scenario('azure-pre-aborted', reply.hang())}/x`;
    const abortSignal = AbortSignal.abort();
    const error = await rejectionOf(
      pipeline.sendRequest(httpClient, createPipelineRequest({ url, allowInsecureConnection: true, abortSignal })),
    );
    expect((error as Error).name).toBe('AbortError');
    expect(classifyAzureError(error)).toBeUndefined();
    expect(classifyNetworkError(error)).toEqual({ kind: 'aborted', retryable: false, reason: 'aborted by caller' });
  });
});

describe('bare Node and fetch errors', () => {
  it('net.connect to a closed port -> ECONNREFUSED: Azure and network scopes, not openai', async () => {
    const port = Number(new URL(closedUrl).port);
    const error = await rejectionOf(
      new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
      }),
    );
    expect(classifyError(error)).toEqual({ kind: 'network', retryable: true, reason: 'ECONNREFUSED' });
    expect(shouldRetryOpenAIError(error)).toBe(false);
    expect(shouldRetryAzureError(error)).toBe(true);
    expect(shouldRetryNetworkError(error)).toBe(true);
  });

  it('fetch to a closed port -> TypeError: fetch failed (cause ECONNREFUSED): network scope only', async () => {
    const error = await rejectionOf(fetch(closedUrl));
    expect(classifyNetworkError(error)).toEqual({ kind: 'network', retryable: true, reason: 'ECONNREFUSED' });
    expect(classifyAzureError(error)).toBeUndefined();
    expect(shouldRetryOpenAIError(error)).toBe(false);
    expect(shouldRetryAzureError(error)).toBe(false);
    expect(shouldRetryNetworkError(error)).toBe(true);
  });

  it('fetch of a body cut mid-stream -> TypeError: terminated (cause UND_ERR_SOCKET)', async () => {
    const url = scenario('fetch-cut', reply.cut(200, 'partial', { 'content-length': '100' }));
    const error = await rejectionOf(fetch(`${url}/x`).then((response) => response.text()));
    expect(classifyNetworkError(error)).toEqual({ kind: 'network', retryable: true, reason: 'UND_ERR_SOCKET' });
  });

  it('fetch reset by the server -> TypeError: fetch failed (cause UND_ERR_SOCKET)', async () => {
    const error = await rejectionOf(fetch(`${scenario('fetch-reset', reply.reset())}/x`));
    expect(classifyNetworkError(error)).toEqual({ kind: 'network', retryable: true, reason: 'UND_ERR_SOCKET' });
  });

  it('fetch with AbortSignal.timeout -> TimeoutError: timeout, retryable (network scope)', async () => {
    const error = await rejectionOf(
      fetch(`${scenario('fetch-hang', reply.hang())}/x`, { signal: AbortSignal.timeout(30) }),
    );
    expect(classifyNetworkError(error)).toEqual({ kind: 'timeout', retryable: true, reason: 'timeout' });
    expect(shouldRetryAzureError(error)).toBe(false);
    expect(shouldRetryOpenAIError(error)).toBe(false);
  });

  it("fetch aborted by the caller's AbortController -> AbortError: aborted, not retryable", async () => {
    const controller = new AbortController();
    const pending = rejectionOf(
      fetch(`${scenario('fetch-hang-abort', reply.hang())}/x`, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 10);
    const error = await pending;
    expect(classifyNetworkError(error)).toEqual({ kind: 'aborted', retryable: false, reason: 'aborted by caller' });
    expect(shouldRetryNetworkError(error)).toBe(false);
  });

  // Synthetic Node system / undici errors: most of these codes cannot be provoked on loopback.
  const systemError = (code: string): Error =>
    Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code, errno: -1, syscall: 'connect' });
  const undiciError = (code: string, name: string): Error => Object.assign(new Error('undici'), { code, name });
  const fetchFailed = (cause: unknown): Error => new TypeError('fetch failed', { cause });

  it.each<[string, () => unknown, FailureKind, boolean, { openai: boolean; azure: boolean; network: boolean }]>([
    ['ECONNRESET', () => systemError('ECONNRESET'), 'network', true, { openai: false, azure: true, network: true }],
    ['ETIMEDOUT', () => systemError('ETIMEDOUT'), 'timeout', true, { openai: false, azure: true, network: true }],
    [
      'ESOCKETTIMEDOUT',
      () => systemError('ESOCKETTIMEDOUT'),
      'timeout',
      true,
      { openai: false, azure: true, network: true },
    ],
    ['EPIPE', () => systemError('EPIPE'), 'network', true, { openai: false, azure: true, network: true }],
    ['EHOSTUNREACH', () => systemError('EHOSTUNREACH'), 'network', true, { openai: false, azure: true, network: true }],
    ['ENETUNREACH', () => systemError('ENETUNREACH'), 'network', true, { openai: false, azure: true, network: true }],
    ['EAI_AGAIN', () => systemError('EAI_AGAIN'), 'network', true, { openai: false, azure: true, network: true }],
    [
      'ENOTFOUND (network, not retryable)',
      () => systemError('ENOTFOUND'),
      'network',
      false,
      { openai: false, azure: false, network: false },
    ],
    [
      'bare UND_ERR_SOCKET',
      () => undiciError('UND_ERR_SOCKET', 'SocketError'),
      'network',
      true,
      { openai: false, azure: false, network: true },
    ],
    [
      'bare UND_ERR_CONNECT_TIMEOUT',
      () => undiciError('UND_ERR_CONNECT_TIMEOUT', 'ConnectTimeoutError'),
      'timeout',
      true,
      { openai: false, azure: false, network: true },
    ],
    [
      'bare UND_ERR_HEADERS_TIMEOUT',
      () => undiciError('UND_ERR_HEADERS_TIMEOUT', 'HeadersTimeoutError'),
      'timeout',
      true,
      { openai: false, azure: false, network: true },
    ],
    [
      'fetch failed <- ECONNRESET',
      () => fetchFailed(systemError('ECONNRESET')),
      'network',
      true,
      { openai: false, azure: false, network: true },
    ],
    [
      'fetch failed <- ConnectTimeoutError',
      () => fetchFailed(undiciError('UND_ERR_CONNECT_TIMEOUT', 'ConnectTimeoutError')),
      'timeout',
      true,
      { openai: false, azure: false, network: true },
    ],
    [
      'fetch failed <- AggregateError(ECONNREFUSED)',
      () => fetchFailed(new AggregateError([systemError('ECONNREFUSED')], 'all addresses failed')),
      'network',
      true,
      { openai: false, azure: false, network: true },
    ],
  ])('%s', (_label, make, kind, retryable, scopes) => {
    const error = make();
    expect(classifyError(error)).toMatchObject({ kind, retryable });
    expect(shouldRetryOpenAIError(error)).toBe(scopes.openai);
    expect(shouldRetryAzureError(error)).toBe(scopes.azure);
    expect(shouldRetryNetworkError(error)).toBe(scopes.network);
  });

  it('the first known transport code along the chain decides, past links with codes of their own', () => {
    const wrapped = Object.assign(new Error('wrapper', { cause: systemError('ECONNRESET') }), { code: 'ERR_WRAPPED' });
    expect(classifyError(fetchFailed(wrapped))).toMatchObject({ kind: 'network', reason: 'ECONNRESET' });
  });

  it("only the first four of an AggregateError's errors are read (a bound on hostile input)", () => {
    const others = Array.from({ length: 4 }, () => new Error('no code'));
    const fifth = new AggregateError([...others, systemError('ECONNREFUSED')], 'all addresses failed');
    expect(classifyNetworkError(fetchFailed(fifth))).toBeUndefined();
    const fourth = new AggregateError([...others.slice(1), systemError('ECONNREFUSED')], 'all addresses failed');
    expect(classifyNetworkError(fetchFailed(fourth))).toMatchObject({ kind: 'network', reason: 'ECONNREFUSED' });
  });

  it('only undici\'s TypeError reads "fetch failed": another error with that message is not looked into', () => {
    const error = Object.assign(new Error('fetch failed', { cause: systemError('ECONNREFUSED') }), { name: 'Error' });
    expect(classifyNetworkError(error)).toBeUndefined();
  });

  it('a fetch failed TypeError without a known cause code is not recognised', () => {
    expect(classifyNetworkError(new TypeError('fetch failed', { cause: new Error('bad port') }))).toBeUndefined();
  });
});

describe('scope rules across real errors', () => {
  it('openai scope rejects what it does not own; broader scopes include narrower ones', async () => {
    const bareEconnreset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const request = createPipelineRequest({
      url: `${scenario('scope-503', reply.status(503))}/x`,
      allowInsecureConnection: true,
    });
    const response = await createPipelineFromOptions({ retryOptions: { maxRetries: 0 } }).sendRequest(
      createDefaultHttpClient(),
      request,
    );
    const restError503 = new RestError('Service Unavailable', { statusCode: response.status, response, request });

    expect(shouldRetryOpenAIError(bareEconnreset)).toBe(false);
    expect(shouldRetryAzureError(bareEconnreset)).toBe(true);
    expect(shouldRetryAzureError(restError503)).toBe(true);
    expect(shouldRetryOpenAIError(restError503)).toBe(false);
    expect(shouldRetryNetworkError(restError503)).toBe(true);
  });
});

describe('the policy (classifyFacts)', () => {
  it.each<[string, Parameters<typeof classifyFacts>[0], Partial<ErrorClassification>]>([
    [
      'abort beats everything but x-should-retry',
      { source: 'openai', isUserAbort: true, status: 500 },
      { kind: 'aborted', retryable: false },
    ],
    [
      'credential beats status',
      { source: 'azure', isCredentialError: true, status: 503 },
      { kind: 'auth', retryable: false },
    ],
    [
      'provider code refines status',
      { source: 'openai', status: 429, providerType: 'insufficient_quota' },
      { kind: 'quota_exhausted', retryable: false },
    ],
    [
      'provider code for another status is ignored',
      { source: 'openai', status: 500, providerCode: 'context_length_exceeded' },
      { kind: 'server', retryable: true },
    ],
    [
      'status beats a transport code',
      { source: 'azure', status: 400, networkCode: 'ECONNRESET' },
      { kind: 'bad_request', retryable: false },
    ],
    ['unknown status', { source: 'openai', status: 302 }, { kind: 'unknown', retryable: false, reason: 'status 302' }],
    [
      'unknown transport code falls back to the connection flag',
      { source: 'network', networkCode: 'EWHATEVER', isConnectionError: true },
      { kind: 'network', retryable: true, reason: 'connection error' },
    ],
    ['nothing known', { source: 'openai' }, { kind: 'unknown', retryable: false, reason: 'unclassified openai error' }],
    [
      'x-should-retry is case-insensitive',
      { source: 'openai', status: 400, headers: { 'X-Should-Retry': 'TRUE' } },
      { retryable: true, reason: 'x-should-retry: true' },
    ],
    [
      'other x-should-retry values are ignored',
      { source: 'openai', status: 400, headers: { 'x-should-retry': 'maybe' } },
      { retryable: false, reason: 'status 400' },
    ],
  ])('%s', (_label, facts, expected) => {
    expect(classifyFacts(facts, NOW)).toMatchObject(expected);
  });

  it('drops a long request id whole instead of cutting it (issue #12)', () => {
    const classification = classifyFacts({ source: 'openai', status: 500, requestId: 'r'.repeat(1000) }, NOW);
    expect(classification).not.toHaveProperty('requestId');
  });
});

describe('never throws', () => {
  const UNRECOGNISED: ErrorClassification = { kind: 'unknown', retryable: false, reason: 'unrecognised error' };
  const throwing = new Proxy(
    {},
    {
      get: () => {
        throw new Error('get');
      },
      has: () => {
        throw new Error('has');
      },
      getOwnPropertyDescriptor: () => {
        throw new Error('gopd');
      },
      getPrototypeOf: () => {
        throw new Error('proto');
      },
      ownKeys: () => {
        throw new Error('keys');
      },
    },
  );
  const cyclic: { name: string; message: string; cause?: unknown } = { name: 'Error', message: 'loop' };
  cyclic.cause = cyclic;
  const deep = (depth: number, leaf: unknown): unknown => {
    let current = leaf;
    for (let i = 0; i < depth; i += 1) current = new Error(`level ${i}`, { cause: current });
    return current;
  };
  const throwingStatus = Object.defineProperty(new Error('x'), 'status', {
    get: () => {
      throw new Error('status getter');
    },
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ECONNRESET'],
    ['a number', 503],
    ['a symbol', Symbol('x')],
    ['a plain Error', new Error('boom')],
    ['a plain object with a status', { status: 503 }],
    ['a proxy that throws on every trap', throwing],
    ['a cyclic cause chain', cyclic],
    ['a credential error too deep in the chain (bounded walk)', deep(20, new CredentialUnavailableError('x'))],
    ['an Error whose status getter throws', throwingStatus],
    ['a frozen object', Object.freeze({ code: 'ENOENT' })],
  ])('%s -> unknown', (_label, value) => {
    expect(classifyError(value)).toEqual(UNRECOGNISED);
    expect(classifyOpenAIError(value)).toBeUndefined();
    expect(classifyAzureError(value)).toBeUndefined();
    expect(classifyNetworkError(value)).toBeUndefined();
    expect(shouldRetryOpenAIError(value)).toBe(false);
    expect(shouldRetryAzureError(value)).toBe(false);
    expect(shouldRetryNetworkError(value)).toBe(false);
  });

  it('a credential error within the walk bound is still found', () => {
    expect(classifyError(deep(5, new CredentialUnavailableError('x'))).kind).toBe('auth');
  });

  it('for arbitrary values (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), fc.integer(), (value, now) => {
        const classification = classifyError(value, now);
        expect(typeof classification.retryable).toBe('boolean');
        expect(typeof classification.reason).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
