import 'reflect-metadata';
import {
  ArgumentsHost,
  BadRequestException,
  Controller,
  HttpException,
  INestApplication,
  Injectable,
  Module,
  Post,
  ServiceUnavailableException,
  UseFilters,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import OpenAI from 'openai';
import {
  AgentExecutionError,
  AttemptTimeoutError,
  BulkheadRejectedError,
  CircuitOpenError,
  LLMProvider,
  ResilientLLMService,
  RetryOpenAI,
  RetryTimeoutError,
  SchemaValidationError,
  StreamEventError,
  UpstreamThrottledError,
} from '../../src';
import { ResilienceExceptionFilter, ResilienceModule } from '../../src/integrations/nestjs';
import {
  CapturingLogger,
  cleanUp,
  faultServer,
  immediateRetries,
  llmRequests,
  openaiFor,
  startApp,
} from './nest-harness';

// ResilienceExceptionFilter over real HTTP: a controller throws the exception under test, the
// filter answers it. The provider errors carry a fake key and a prompt in their message,
// which must reach neither the response nor the logs.

const FAKE_KEY = 'sk-proj-FAKEKEY0123456789abcdef';
const PROMPT = 'my card number is 4111 1111 and my order has not arrived';
const PROVIDER_TEXT = `Incorrect API key provided: ${FAKE_KEY}. Request was: ${PROMPT}`;

beforeEach(immediateRetries);
afterEach(cleanUp);

/** What the controller throws on the next request. */
let toThrow: () => unknown = () => new Error('not set');

@Controller()
class ThrowingController {
  @Post('fail')
  fail(): never {
    throw toThrow();
  }
}

@UseFilters(ResilienceExceptionFilter)
@Controller('filtered')
class FilteredController {
  @Post('fail')
  fail(): never {
    throw toThrow();
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
  text: string;
}

async function call(url: string): Promise<Answer> {
  const response = await fetch(url, { method: 'POST' });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body, text };
}

type Mode = 'useGlobalFilters(new ...)' | 'APP_FILTER' | 'none';

/** An app with the throwing controller and the filter registered as `mode` says. */
async function app(mode: Mode) {
  const logger = new CapturingLogger();
  const providers = mode === 'APP_FILTER' ? [{ provide: APP_FILTER, useClass: ResilienceExceptionFilter }] : [];
  const configure =
    mode === 'useGlobalFilters(new ...)'
      ? (nest: INestApplication) => nest.useGlobalFilters(new ResilienceExceptionFilter())
      : undefined;
  const { url } = await startApp(
    { controllers: [ThrowingController, FilteredController], providers },
    logger,
    configure,
  );
  /** Throws `error` in the controller and answers what the client received. */
  const answer = async (error: unknown, path = '/fail'): Promise<Answer> => {
    toThrow = () => error;
    return call(url + path);
  };
  return { answer, logger };
}

/** An error of the openai SDK, as the SDK builds it from a response. */
function openaiError(
  status: number,
  headers: Record<string, string> = {},
  body: object = {},
): InstanceType<typeof OpenAI.APIError> {
  return OpenAI.APIError.generate(
    status,
    { error: { message: PROVIDER_TEXT, ...body } },
    PROVIDER_TEXT,
    new Headers({ 'x-request-id': 'req_abc123', ...headers }),
  );
}

/** An Azure core-rest-pipeline RestError, as an Azure client throws it for a non-2xx. */
function restError(statusCode: number, headers: Record<string, string> = {}): RestError {
  const request = createPipelineRequest({ url: `https://my-resource.openai.azure.com/?api-key=${FAKE_KEY}` });
  return new RestError(PROVIDER_TEXT, {
    statusCode,
    request,
    response: { status: statusCode, headers: createHttpHeaders(headers), request, bodyAsText: PROVIDER_TEXT },
  });
}

/** The response must carry nothing of the provider's text: no key, no prompt. */
function expectNothingLeaked(answer: Answer, logger?: CapturingLogger): void {
  expect(answer.text).not.toContain('FAKEKEY');
  expect(answer.text).not.toContain('4111');
  expect(answer.text).not.toContain('Incorrect API key');
  if (logger) expect(JSON.stringify(logger.entries)).not.toMatch(/FAKEKEY|4111|Incorrect API key/);
}

describe.each<Mode>(['useGlobalFilters(new ...)', 'APP_FILTER'])('ResilienceExceptionFilter (%s)', (mode) => {
  describe("the library's errors", () => {
    it('CircuitOpenError: 503 with Retry-After (seconds, rounded up)', async () => {
      const { answer, logger } = await app(mode);
      const result = await answer(new CircuitOpenError('openai|default|gpt-4o', 2_500, { cause: openaiError(503) }));
      expect(result).toMatchObject({
        status: 503,
        retryAfter: '3',
        body: { statusCode: 503, error: 'Service Unavailable', message: 'The service is temporarily unavailable' },
      });
      expect(Object.keys(result.body).sort()).toEqual(['error', 'message', 'statusCode']);
      expectNothingLeaked(result, logger);
      expect(result.text).not.toContain('gpt-4o');
    });

    it('UpstreamThrottledError: 503 with Retry-After; the method name stays out of the body', async () => {
      const { answer } = await app(mode);
      const result = await answer(
        new UpstreamThrottledError('AgentService.chat', 'cooldown', 12_000, { maxRetryAfterMs: 5_000 }),
      );
      expect(result).toMatchObject({
        status: 503,
        retryAfter: '12',
        body: { statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/rate limiting/) },
      });
      expect(result.text).not.toContain('AgentService');
    });

    it('BulkheadRejectedError: 503 without Retry-After; the key stays out of the body', async () => {
      const { answer } = await app(mode);
      const result = await answer(new BulkheadRejectedError('openai|https://internal.example|gpt-4o', 8, 0));
      expect(result).toMatchObject({
        status: 503,
        retryAfter: null,
        body: { statusCode: 503, error: 'Service Unavailable', message: 'The service is busy; try again later' },
      });
      expect(result.text).not.toContain('internal.example');
    });

    it('RetryTimeoutError and AttemptTimeoutError: 504', async () => {
      const { answer } = await app(mode);
      for (const error of [new RetryTimeoutError('AgentService.chat', 30_000), new AttemptTimeoutError('X.y', 5_000)]) {
        const result = await answer(error);
        expect(result).toMatchObject({
          status: 504,
          retryAfter: null,
          body: {
            statusCode: 504,
            error: 'Gateway Timeout',
            message: 'The upstream service did not respond in time',
          },
        });
        expect(result.text).not.toMatch(/AgentService|X\.y/);
      }
    });

    it.each([
      ['server_error', 502, 'The upstream service failed'],
      ['insufficient_quota', 503, 'The upstream service quota is exhausted'],
      [PROMPT.replace(/\W+/g, '_').slice(0, 60), 502, 'The upstream service rejected the request'],
    ])('StreamEventError (code %s): %i, never the code the server chose', async (code, status, message) => {
      const { answer, logger } = await app(mode);
      const result = await answer(new StreamEventError('response.failed', { code, responseId: 'resp_1' }));
      expect(result).toMatchObject({ status, body: { statusCode: status, message } });
      expectNothingLeaked(result, logger);
      expect(JSON.stringify(result)).not.toContain(PROMPT.replace(/\W+/g, '_').slice(0, 20));
    });

    it('SchemaValidationError: 502 (the LLM answered, but not what was asked for)', async () => {
      const { answer } = await app(mode);
      const result = await answer(new SchemaValidationError([`/name: ${PROMPT}`], '{}'));
      expect(result).toMatchObject({ status: 502, body: { statusCode: 502, error: 'Bad Gateway' } });
      expectNothingLeaked(result);
    });
  });

  describe('AgentExecutionError: its safe message', () => {
    it('rate limited: 503 with the Retry-After of its cause (the provider 429)', async () => {
      const { answer, logger } = await app(mode);
      const safe = 'The LLM service is rate limiting requests (after 3 attempts)';
      const result = await answer(
        new AgentExecutionError(safe, 'rate_limit', 3, openaiError(429, { 'retry-after': '20' })),
      );
      expect(result).toMatchObject({
        status: 503,
        retryAfter: '20',
        body: { statusCode: 503, error: 'Service Unavailable', message: safe },
      });
      expectNothingLeaked(result, logger);
    });

    it('circuit open: 503 with the Retry-After of the CircuitOpenError', async () => {
      const { answer } = await app(mode);
      const cause = new CircuitOpenError('k', 9_001);
      const result = await answer(
        new AgentExecutionError('The LLM service is temporarily unavailable', 'circuit_open', 0, cause),
      );
      expect(result).toMatchObject({ status: 503, retryAfter: '10' });
      expect(result.body.message).toBe('The LLM service is temporarily unavailable');
    });

    it('server, timeout, network: 503, without Retry-After when none is known', async () => {
      const { answer } = await app(mode);
      for (const kind of ['server', 'timeout', 'network'] as const) {
        const result = await answer(new AgentExecutionError(`safe ${kind}`, kind, 3, openaiError(503)));
        expect(result).toMatchObject({ status: 503, retryAfter: null, body: { message: `safe ${kind}` } });
        expectNothingLeaked(result);
      }
    });

    it('auth, quota, bad request, content filter...: 502', async () => {
      const { answer, logger } = await app(mode);
      for (const kind of [
        'auth',
        'quota_exhausted',
        'bad_request',
        'content_filter',
        'context_length',
        'unknown',
      ] as const) {
        const result = await answer(new AgentExecutionError(`safe ${kind}`, kind, 1, openaiError(401)));
        expect(result).toMatchObject({
          status: 502,
          retryAfter: null,
          body: { statusCode: 502, error: 'Bad Gateway', message: `safe ${kind}` },
        });
        expectNothingLeaked(result, logger);
      }
    });
  });

  describe('provider errors (openai SDK): never the provider text', () => {
    it('401 and 403 (our credentials): 502 "Upstream authentication failed"', async () => {
      const { answer, logger } = await app(mode);
      for (const status of [401, 403]) {
        const result = await answer(openaiError(status));
        expect(result).toMatchObject({
          status: 502,
          retryAfter: null,
          body: { statusCode: 502, error: 'Bad Gateway', message: 'Upstream authentication failed' },
        });
        expectNothingLeaked(result, logger);
      }
      // One line per answer, naming the class, kind, status and request id only.
      expect(logger.at('error', 'ResilienceExceptionFilter').map((entry) => entry.message)).toEqual([
        'POST /fail answered 502: AuthenticationError (auth, status 401, request req_abc123)',
        'POST /fail answered 502: PermissionDeniedError (auth, status 403, request req_abc123)',
      ]);
    });

    it('429: 503 with Retry-After from the response headers (retry-after, or retry-after-ms rounded up)', async () => {
      const { answer, logger } = await app(mode);
      expect(await answer(openaiError(429, { 'retry-after': '7' }))).toMatchObject({
        status: 503,
        retryAfter: '7',
        body: { statusCode: 503, error: 'Service Unavailable' },
      });
      expect(await answer(openaiError(429, { 'retry-after-ms': '1500' }))).toMatchObject({
        status: 503,
        retryAfter: '2',
      });
      const none = await answer(openaiError(429));
      expect(none).toMatchObject({ status: 503, retryAfter: null });
      expectNothingLeaked(none, logger);
    });

    it('429 insufficient_quota: 503 without Retry-After (waiting will not help)', async () => {
      const { answer } = await app(mode);
      const result = await answer(openaiError(429, { 'retry-after': '7' }, { code: 'insufficient_quota' }));
      expect(result).toMatchObject({
        status: 503,
        retryAfter: null,
        body: { message: 'The upstream service quota is exhausted' },
      });
    });

    it('5xx: 502', async () => {
      const { answer } = await app(mode);
      for (const status of [500, 502, 503]) {
        const result = await answer(openaiError(status));
        expect(result).toMatchObject({
          status: 502,
          body: { statusCode: 502, error: 'Bad Gateway', message: 'The upstream service failed' },
        });
        expectNothingLeaked(result);
      }
    });

    it('connection error: 502; connection timeout: 504', async () => {
      const { answer } = await app(mode);
      const reset = Object.assign(new Error(`read ECONNRESET ${FAKE_KEY}`), { code: 'ECONNRESET' });
      expect(await answer(new OpenAI.APIConnectionError({ message: PROVIDER_TEXT, cause: reset }))).toMatchObject({
        status: 502,
        body: { message: 'The upstream service could not be reached' },
      });
      expect(await answer(reset)).toMatchObject({ status: 502 });
      expect(await answer(new OpenAI.APIConnectionTimeoutError({ message: PROVIDER_TEXT }))).toMatchObject({
        status: 504,
        body: { message: 'The upstream service did not respond in time' },
      });
    });

    it('400 and other client errors of ours: 502 (the request we sent was refused)', async () => {
      const { answer } = await app(mode);
      for (const status of [400, 404, 422]) {
        const result = await answer(openaiError(status));
        expect(result).toMatchObject({ status: 502, body: { message: 'The upstream service rejected the request' } });
        expectNothingLeaked(result);
      }
    });

    it('an APIError-shaped error (numeric status and headers) of another class: the same mapping', async () => {
      const { answer } = await app(mode);
      const shaped = (status: number, headers: object) =>
        Object.assign(new Error(PROVIDER_TEXT), { status, headers, request: { body: PROMPT } });
      expect(await answer(shaped(401, {}))).toMatchObject({
        status: 502,
        body: { message: 'Upstream authentication failed' },
      });
      expect(await answer(shaped(429, { 'retry-after': '4' }))).toMatchObject({ status: 503, retryAfter: '4' });
      const result = await answer(shaped(500, {}));
      expect(result).toMatchObject({ status: 502 });
      expectNothingLeaked(result);
    });
  });

  describe('provider errors (Azure RestError)', () => {
    it('401: 502 (Nest alone answers 401 with the provider text)', async () => {
      const { answer, logger } = await app(mode);
      const result = await answer(restError(401));
      expect(result).toMatchObject({ status: 502, body: { message: 'Upstream authentication failed' } });
      expectNothingLeaked(result, logger);
    });

    it('429: 503 with Retry-After; 503: 502', async () => {
      const { answer } = await app(mode);
      expect(await answer(restError(429, { 'retry-after': '30' }))).toMatchObject({ status: 503, retryAfter: '30' });
      expect(await answer(restError(503))).toMatchObject({ status: 502 });
    });
  });

  describe('everything else', () => {
    it("Nest's HttpExceptions pass through unchanged", async () => {
      const { answer } = await app(mode);
      expect(await answer(new BadRequestException('message must be a non-empty string'))).toMatchObject({
        status: 400,
        retryAfter: null,
        body: { statusCode: 400, error: 'Bad Request', message: 'message must be a non-empty string' },
      });
      expect(await answer(new ServiceUnavailableException('Busy'))).toMatchObject({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable', message: 'Busy' },
      });
      expect(await answer(new HttpException({ code: 'E42', detail: 'custom' }, 418))).toMatchObject({
        status: 418,
        body: { code: 'E42', detail: 'custom' },
      });
      expect(await answer(new HttpException('plain text', 409))).toMatchObject({
        status: 409,
        body: { statusCode: 409, message: 'plain text' },
      });
      // Even one whose cause is a provider error: the app chose its answer.
      expect(await answer(new HttpException('chosen', 400, { cause: openaiError(401) }))).toMatchObject({
        status: 400,
        body: { statusCode: 400, message: 'chosen' },
      });
    });

    it('anything else: 500 "Internal server error", logged whole as Nest does', async () => {
      const { answer, logger } = await app(mode);
      const result = await answer(new Error(`database password is hunter2 ${FAKE_KEY}`));
      expect(result).toMatchObject({
        status: 500,
        retryAfter: null,
        body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
      });
      expect(result.text).not.toMatch(/hunter2|FAKEKEY/);
      expect(logger.at('error', 'ExceptionsHandler')).toHaveLength(1);
      expect(await answer('a string')).toMatchObject({ status: 500 });
      expect(await answer(undefined)).toMatchObject({ status: 500 });
    });

    it('an http-errors error keeps its status, and its message only when exposed (as Nest does)', async () => {
      const { answer } = await app(mode);
      const httpError = (statusCode: number, expose: boolean) =>
        Object.assign(new Error('secret detail'), { statusCode, status: statusCode, expose });
      expect(await answer(httpError(404, true))).toMatchObject({ status: 404, body: { message: 'secret detail' } });
      const hidden = await answer(httpError(500, false));
      expect(hidden).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
      expect(hidden.text).not.toContain('secret detail');
    });
  });
});

describe('without the filter (what the filter fixes)', () => {
  it('a provider 401 becomes a plain 500 (openai) or a 401 with the provider text (Azure)', async () => {
    const { answer } = await app('none');
    expect(await answer(openaiError(401))).toMatchObject({
      status: 500,
      body: { statusCode: 500, message: 'Internal server error' },
    });
    const azure = await answer(restError(401));
    expect(azure.status).toBe(401);
    expect(azure.text).toContain('FAKEKEY');
  });

  it('with the filter, the same 401 is a 502 without the provider text', async () => {
    const { answer } = await app('useGlobalFilters(new ...)');
    for (const error of [openaiError(401), restError(401)]) {
      const result = await answer(error);
      expect(result).toMatchObject({ status: 502, body: { message: 'Upstream authentication failed' } });
      expectNothingLeaked(result);
    }
  });
});

describe('per controller: @UseFilters(ResilienceExceptionFilter)', () => {
  it("maps that controller's errors only", async () => {
    const { answer } = await app('none');
    expect(await answer(openaiError(429, { 'retry-after': '5' }), '/filtered/fail')).toMatchObject({
      status: 503,
      retryAfter: '5',
    });
    expect(await answer(openaiError(429, { 'retry-after': '5' }), '/fail')).toMatchObject({ status: 500 });
  });
});

describe('end to end: decorated calls to the fault server', () => {
  const SERVER_KEY = 'sk-test-key';

  @Injectable()
  class TitleService {
    client!: OpenAI;
    constructor(readonly llm: ResilientLLMService) {}

    @RetryOpenAI({ maxAttempts: 2 })
    async title(): Promise<string> {
      const completion = await this.client.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: PROMPT }],
      });
      return completion.choices[0]?.message?.content ?? '';
    }
  }

  @Controller()
  class TitleController {
    constructor(private readonly titles: TitleService) {}
    @Post('title')
    async title(): Promise<{ title: string }> {
      return { title: await this.titles.title() };
    }
    @Post('chat')
    async chat(): Promise<unknown> {
      return this.titles.llm.resilientChatCompletion(
        {
          provider: LLMProvider.OPENAI,
          model: 'gpt-4o',
          apiKey: SERVER_KEY,
          baseURL: this.titles.client.baseURL,
          retryConfig: { maxAttempts: 2 },
        },
        { messages: [{ role: 'user', content: PROMPT }] },
      );
    }
  }

  @Module({
    imports: [ResilienceModule.forRoot({})],
    controllers: [TitleController],
    providers: [TitleService, { provide: APP_FILTER, useClass: ResilienceExceptionFilter }],
  })
  class TitleModule {}

  async function titleApp(script: Parameters<typeof faultServer>[0]) {
    const server = await faultServer(script);
    const { app: nest, url, logger } = await startApp({ imports: [TitleModule] });
    nest.get(TitleService).client = openaiFor(server);
    return { server, url, logger };
  }

  it('a provider 401 (not retried): 502, nothing of the key or the prompt', async () => {
    const { server, url, logger } = await titleApp(['401']);
    const result = await call(`${url}/title`);
    expect(result).toMatchObject({ status: 502, body: { message: 'Upstream authentication failed' } });
    expect(llmRequests(server)).toHaveLength(1);
    expect(result.text).not.toMatch(/sk-test|4111/);
    expect(JSON.stringify(logger.entries)).not.toMatch(/sk-test|4111/);
  });

  it('429s past the retries: 503 with the Retry-After the LLM sent', async () => {
    const { url } = await titleApp(['429:100', '429:2500']);
    expect(await call(`${url}/title`)).toMatchObject({ status: 503, retryAfter: '3' });
  });

  it('ResilientLLMService: an AgentExecutionError answers with its safe message', async () => {
    const { url } = await titleApp(['503', '503']);
    const result = await call(`${url}/chat`);
    expect(result).toMatchObject({
      status: 503,
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The LLM service is having problems (after 2 attempts)',
      },
    });
    expect(result.text).not.toMatch(/sk-test|4111/);
  });
});

describe('outside an HTTP app', () => {
  const host = (type: string, response: unknown = {}): ArgumentsHost =>
    ({
      getType: () => type,
      getArgByIndex: (index: number) => (index === 1 ? response : { method: 'GET', url: '/x?q=secret' }),
    }) as unknown as ArgumentsHost;

  it('rethrows in RPC, WebSocket or GraphQL contexts', () => {
    const error = openaiError(401);
    for (const type of ['rpc', 'ws', 'graphql']) {
      expect(() => new ResilienceExceptionFilter().catch(error, host(type))).toThrow(error);
    }
  });

  it('answers through a Fastify reply (code, header, send) when Nest gave it no adapter', () => {
    const sent: Record<string, unknown> = { headers: {} };
    const reply = {
      sent: false,
      header: (name: string, value: string) => ((sent.headers as Record<string, string>)[name] = value),
      code: (status: number) => ((sent.status = status), { send: (payload: unknown) => (sent.payload = payload) }),
    };
    new ResilienceExceptionFilter().catch(openaiError(429, { 'retry-after': '3' }), host('http', reply));
    expect(sent).toEqual({
      headers: { 'Retry-After': '3' },
      status: 503,
      payload: { statusCode: 503, error: 'Service Unavailable', message: expect.any(String) },
    });
  });

  it('ends a response whose headers are already sent', () => {
    const end = jest.fn();
    new ResilienceExceptionFilter().catch(openaiError(401), host('http', { headersSent: true, end }));
    expect(end).toHaveBeenCalledTimes(1);
  });
});
