/**
 * ResilientLLMService.resilientChatCompletion with the real openai SDK (OpenAI and
 * AzureOpenAI clients) against the fault server: one test per fault kind (requests seen
 * by the server, trace events in order, AgentExecutionError's attempts, kind, original
 * error and safe message), fallbacks, Azure AD tokens, and 50 concurrent calls.
 */
import { CredentialUnavailableError } from '@azure/identity';
import {
  AgentExecutionError,
  isAgentExecutionError,
  LLMServiceFactory,
  ResilientLLMService,
  type FailureKind,
} from '../../src';
import type { FaultServer } from '../../src/testing';
import {
  AZURE_KEY,
  azureConfig,
  className,
  faultsSeen,
  OPENAI_KEY,
  openaiConfig,
  PROMPT,
  realNow,
  RecordingTracer,
  rejectionOf,
  useLLMTestEnvironment,
  userMessages,
  exhaustedEvents,
  notRetriedEvents,
} from './helpers';

const env = useLLMTestEnvironment();

const service = () => new ResilientLLMService({ tracer: env.tracer });
const ask = (
  svc: ResilientLLMService,
  config: Parameters<ResilientLLMService['resilientChatCompletion']>[0],
  prompt = PROMPT,
) => svc.resilientChatCompletion(config, { messages: userMessages(prompt) });

/** The AgentExecutionError a call ends with. */
async function failure(promise: Promise<unknown>): Promise<AgentExecutionError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(AgentExecutionError);
  expect(isAgentExecutionError(error)).toBe(true);
  return error as AgentExecutionError;
}

/** The safe message carries none of the technical detail. */
function expectSafe(error: AgentExecutionError, server: FaultServer): void {
  const texts = [error.message, JSON.stringify(error), String(error)];
  for (const text of texts) {
    expect(text).not.toContain(server.url);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(OPENAI_KEY);
    expect(text).not.toContain(AZURE_KEY);
    expect(text).not.toContain(PROMPT);
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack frames
  }
  expect(JSON.parse(JSON.stringify(error))).toEqual({
    name: 'AgentExecutionError',
    message: error.message,
    kind: error.kind,
    attempts: error.attempts,
  });
}

const ECHO_LENGTH = `Echo: ${PROMPT}`.length;

describe('success', () => {
  it('returns the completion after one request, with llm_call_success {attempt, response_length}', async () => {
    const server = await env.startServer();
    const completion = await ask(service(), openaiConfig(server));
    expect(completion.choices[0].message.content).toBe(`Echo: ${PROMPT}`);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].body).toEqual({ model: 'gpt-4o-mini', messages: userMessages(), stream: false });
    expect(env.tracer.events).toEqual([
      { event: 'retry_attempt_start', details: { attempt: 1, max_attempts: 3 } },
      { event: 'llm_call_success', details: { attempt: 1, response_length: ECHO_LENGTH } },
    ]);
  });

  it('passes temperature and maxTokens', async () => {
    const server = await env.startServer();
    await service().resilientChatCompletion(openaiConfig(server), {
      messages: userMessages('x'),
      temperature: 0,
      maxTokens: 12,
    });
    expect(server.requests[0].body).toMatchObject({ temperature: 0, max_tokens: 12 });
  });
});

describe('one test per fault kind', () => {
  it('429: honours Retry-After (retry-after-ms), then succeeds', async () => {
    const server = await env.startServer({ script: ['429:40', 'ok'] });
    const completion = await ask(service(), openaiConfig(server));
    expect(completion.choices[0].message.content).toBe(`Echo: ${PROMPT}`);
    expect(faultsSeen(server)).toEqual(['429:40', 'ok']);
    // Date.now() granularity: 1 ms of tolerance.
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(39);
    expect(env.tracer.events).toEqual([
      { event: 'retry_attempt_start', details: { attempt: 1, max_attempts: 3 } },
      {
        event: 'retry_attempt_failed',
        details: { attempt: 1, error_type: 'RateLimitError', kind: 'rate_limit', status: 429 },
      },
      {
        event: 'retry_backoff_delay',
        details: {
          attempt: 1,
          delay_seconds: 0.04,
          backoff_formula: expect.stringMatching(/^Retry-After 0\.04 s/),
          source: 'retry-after',
        },
      },
      { event: 'retry_attempt_start', details: { attempt: 2, max_attempts: 3 } },
      { event: 'llm_call_success', details: { attempt: 2, response_length: ECHO_LENGTH } },
    ]);
  });

  it('429 on every attempt: AgentExecutionError kind rate_limit after 3 attempts', async () => {
    const server = await env.startServer({ script: ['429:10', '429:10', '429:10'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(server.requests).toHaveLength(3);
    expect(error.kind).toBe('rate_limit');
    expect(error.attempts).toBe(3);
    expect(error.message).toBe('The LLM service is rate limiting requests (after 3 attempts)');
    expect(className(error.originalError)).toBe('RateLimitError');
    expect((error.originalError as any).status).toBe(429);
    expect(env.tracer.names()).toEqual(exhaustedEvents(3));
    expectSafe(error, server);
  });

  it('429 asking for longer than maxRetryAfterMs fails at once', async () => {
    const server = await env.startServer({ script: ['429:5000'] });
    const error = await failure(
      ask(service(), openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxRetryAfterMs: 1000 } })),
    );
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('rate_limit');
    expect(error.attempts).toBe(1);
    expect(env.tracer.named('retry_not_retryable')).toEqual([
      { attempt: 1, kind: 'rate_limit', reason: 'retry_after_exceeds_max' },
    ]);
  });

  it('429-quota fails fast: 1 request, kind quota_exhausted, "The LLM service quota is exhausted"', async () => {
    const server = await env.startServer({ script: ['429-quota', 'ok'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('quota_exhausted');
    expect(error.attempts).toBe(1);
    expect(error.message).toBe('The LLM service quota is exhausted');
    expect(className(error.originalError)).toBe('RateLimitError');
    expect(error.originalError).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect(env.tracer.names()).toEqual(notRetriedEvents);
    expect(env.tracer.named('retry_not_retryable')).toEqual([
      { attempt: 1, kind: 'quota_exhausted', reason: 'insufficient_quota' },
    ]);
    expectSafe(error, server);
  });

  it.each(['500', '502', '503', '504'])('%s is retried, then succeeds', async (fault) => {
    const server = await env.startServer({ script: [fault, fault, 'ok'] });
    const completion = await ask(service(), openaiConfig(server));
    expect(completion.choices[0].message.content).toBe(`Echo: ${PROMPT}`);
    expect(faultsSeen(server)).toEqual([fault, fault, 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      { attempt: 1, error_type: 'InternalServerError', kind: 'server', status: Number(fault) },
      { attempt: 2, error_type: 'InternalServerError', kind: 'server', status: Number(fault) },
    ]);
    expect(env.tracer.named('llm_call_success')).toEqual([{ attempt: 3, response_length: ECHO_LENGTH }]);
  });

  it.each(['500', '502', '503', '504'])(
    '%s on every attempt: kind server, "having problems (after 3 attempts)"',
    async (fault) => {
      const server = await env.startServer({ script: [fault, fault, fault, 'ok'] });
      const error = await failure(ask(service(), openaiConfig(server)));
      expect(server.requests).toHaveLength(3);
      expect(error.kind).toBe('server');
      expect(error.attempts).toBe(3);
      expect(error.message).toBe('The LLM service is having problems (after 3 attempts)');
      expect(className(error.originalError)).toBe('InternalServerError');
      expect((error.originalError as any).status).toBe(Number(fault));
      expect(env.tracer.names()).toEqual(exhaustedEvents(3));
      expect(env.tracer.named('max_retries_exceeded')).toEqual([
        { max_attempts: 3, final_error_type: 'InternalServerError', kind: 'server' },
      ]);
      expectSafe(error, server);
    },
  );

  it('401: kind auth, not retried', async () => {
    const server = await env.startServer({ script: ['401', 'ok'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('auth');
    expect(error.attempts).toBe(1);
    expect(error.message).toBe('Authentication with the LLM service failed');
    expect(className(error.originalError)).toBe('AuthenticationError');
    expect((error.originalError as any).status).toBe(401);
    expect(env.tracer.names()).toEqual(notRetriedEvents);
    expectSafe(error, server);
  });

  it('400-content-filter: kind content_filter, not retried', async () => {
    const server = await env.startServer({ script: ['400-content-filter', 'ok'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('content_filter');
    expect(error.attempts).toBe(1);
    expect(error.message).toBe("The request was rejected by the LLM service's content filter");
    expect(className(error.originalError)).toBe('BadRequestError');
    expect(error.originalError).toMatchObject({ status: 400, code: 'content_filter' });
    expect(env.tracer.names()).toEqual(notRetriedEvents);
    expectSafe(error, server);
  });

  it('400-context-length: kind context_length, not retried', async () => {
    const server = await env.startServer({ script: ['400-context-length', 'ok'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('context_length');
    expect(error.attempts).toBe(1);
    expect(error.message).toBe('The conversation is too long for the LLM service');
    expect(error.originalError).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect(env.tracer.names()).toEqual(notRetriedEvents);
    expectSafe(error, server);
  });

  it('reset is retried, then succeeds', async () => {
    const server = await env.startServer({ script: ['reset', 'ok'] });
    await ask(service(), openaiConfig(server));
    expect(faultsSeen(server)).toEqual(['reset', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      { attempt: 1, error_type: 'APIConnectionError', kind: 'network' },
    ]);
  });

  it('reset on every attempt: kind network, "Connection error with the LLM service (after 3 attempts)"', async () => {
    const server = await env.startServer({ script: ['reset', 'reset', 'reset'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(server.requests).toHaveLength(3);
    expect(error.kind).toBe('network');
    expect(error.attempts).toBe(3);
    expect(error.message).toBe('Connection error with the LLM service (after 3 attempts)');
    expect(className(error.originalError)).toBe('APIConnectionError');
    expect(env.tracer.names()).toEqual(exhaustedEvents(3));
    expectSafe(error, server);
  });

  it('a JSON body cut short (stream-cut on a non-streaming call) is retried like a reset', async () => {
    const server = await env.startServer({ script: ['stream-cut:0', 'ok'] });
    await ask(service(), openaiConfig(server));
    expect(faultsSeen(server)).toEqual(['stream-cut:0', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      expect.objectContaining({ attempt: 1, kind: 'network' }),
    ]);
  });

  it('hang with attemptTimeoutMs: each attempt times out and is retried, then succeeds', async () => {
    const server = await env.startServer({ script: ['hang', 'ok'] });
    // Long enough for the 'ok' attempt on a loaded machine: a timeout there would send a third request.
    await ask(service(), openaiConfig(server, { retryConfig: { baseDelayMs: 100, attemptTimeoutMs: 250 } }));
    expect(faultsSeen(server)).toEqual(['hang', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      { attempt: 1, error_type: 'AttemptTimeoutError', kind: 'timeout' },
    ]);
    expect(env.tracer.named('llm_call_success')).toEqual([{ attempt: 2, response_length: ECHO_LENGTH }]);
  });

  it('hang on every attempt: timed-out attempts, then AgentExecutionError (3 attempts)', async () => {
    const server = await env.startServer({ script: ['hang', 'hang', 'hang', 'ok'] });
    const error = await failure(
      ask(service(), openaiConfig(server, { retryConfig: { baseDelayMs: 100, attemptTimeoutMs: 20 } })),
    );
    expect(faultsSeen(server)).toEqual(['hang', 'hang', 'hang']);
    expect(error.attempts).toBe(3);
    expect(className(error.originalError)).toBe('AttemptTimeoutError');
    expect(env.tracer.names()).toEqual(exhaustedEvents(3));
    expect(env.tracer.named('retry_attempt_failed')).toEqual(
      [1, 2, 3].map((attempt) => ({ attempt, error_type: 'AttemptTimeoutError', kind: 'timeout' })),
    );
    expect(env.tracer.named('max_retries_exceeded')).toEqual([
      { max_attempts: 3, final_error_type: 'AttemptTimeoutError', kind: 'timeout' },
    ]);
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe('The LLM service did not respond in time (after 3 attempts)');
    expectSafe(error, server);
  });

  it('malformed-json: a safe AgentExecutionError carrying the parse error', async () => {
    const server = await env.startServer({ script: ['malformed-json', 'malformed-json', 'malformed-json'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect((error.originalError as Error).name).toBe('SyntaxError');
    expect(error.attempts).toBe(3);
    expect(error.attempts).toBe(server.requests.length);
    expect(error.message).toMatch(/^The LLM service/);
    expect(error.message).not.toMatch(/JSON|position|Unterminated/);
    expectSafe(error, server);
  });

  it('slow:20 answers after the delay, in one attempt', async () => {
    const server = await env.startServer({ script: ['slow:20'] });
    const start = realNow();
    const completion = await ask(
      service(),
      openaiConfig(server, { retryConfig: { baseDelayMs: 100, attemptTimeoutMs: 2000 } }),
    );
    expect(realNow() - start).toBeGreaterThanOrEqual(19);
    expect(completion.choices[0].message.content).toBe(`Echo: ${PROMPT}`);
    expect(faultsSeen(server)).toEqual(['slow:20']);
    expect(env.tracer.names()).toEqual(['retry_attempt_start', 'llm_call_success']);
  });

  it('slow beyond attemptTimeoutMs is abandoned and retried', async () => {
    const server = await env.startServer({ script: ['slow:5000', 'ok'] });
    await ask(service(), openaiConfig(server, { retryConfig: { baseDelayMs: 100, attemptTimeoutMs: 250 } }));
    expect(faultsSeen(server)).toEqual(['slow:5000', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      { attempt: 1, error_type: 'AttemptTimeoutError', kind: 'timeout' },
    ]);
  });

  it('retry lines go to the configured logger with the method name', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    await ask(service(), openaiConfig(server));
    expect(env.log.at('warn')).toEqual([
      expect.objectContaining({
        method: 'ResilientLLMService.resilientChatCompletion',
        attempt: 1,
        kind: 'server',
        status: 503,
      }),
    ]);
  });

  it('retry lines name the agent and the model in their text (issue #12 item 13); the method field stays plain', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    await ask(service(), openaiConfig(server, { name: 'support' }));
    const [line] = env.log.at('warn');
    expect(line.message).toMatch(
      /^Retrying ResilientLLMService\.resilientChatCompletion \(agent support, model [\w.-]+\) in \d+\.\d\ds \(attempt 1\/3 failed: server 503/,
    );
    expect(line.method).toBe('ResilientLLMService.resilientChatCompletion');
  });

  it('safe messages can be overridden per kind', async () => {
    const server = await env.startServer({ script: ['503', '503', '401'] });
    const custom = new ResilientLLMService({
      safeMessages: { server: (attempts) => `Busy, tried ${attempts}x`, auth: 'Please contact support' },
    });
    const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxAttempts: 2 } });
    expect((await failure(ask(custom, config))).message).toBe('Busy, tried 2x');
    expect((await failure(ask(custom, config))).message).toBe('Please contact support');
  });

  it.each(['429:10000', 'hang'])(
    "the caller's abort during %s ends the call at once: kind aborted, no fallback",
    async (fault) => {
      const server = await env.startServer({ script: [fault] });
      const controller = new AbortController();
      const config = openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] });
      const call = service().resilientChatCompletion(config, { messages: userMessages(), signal: controller.signal });
      while (server.requests.length < 1) await new Promise((resolve) => setImmediate(resolve));
      controller.abort();
      const error = await failure(call);
      expect(error.kind).toBe('aborted');
      expect(error.message).toBe('The request was cancelled');
      expect(error.attempts).toBe(1);
      expect(error.originalError).toBe(controller.signal.reason);
      expect(server.requests).toHaveLength(1);
      expect(env.tracer.named('fallback_used')).toEqual([]);
    },
  );

  it("the caller's abort with its own reason: the reason is the original error", async () => {
    const server = await env.startServer({ script: ['429:10000'] });
    const controller = new AbortController();
    const reason = new Error('user navigated away');
    const call = service().resilientChatCompletion(openaiConfig(server), {
      messages: userMessages(),
      signal: controller.signal,
    });
    while (server.requests.length < 1) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);
    const error = await failure(call);
    expect(error.originalError).toBe(reason);
    expect(error.message).not.toContain('navigated');
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('aborted');
  });
});

describe('fallbacks', () => {
  it('primary exhausted on 503s: the fallback is used, fallback_used {from, to, reason}, the server saw its model', async () => {
    const server = await env.startServer({ script: ['503', '503', '503', 'ok'] });
    const config = openaiConfig(server, { name: 'primary', fallbacks: [{ model: 'gpt-4o', name: 'backup' }] });
    const completion = await ask(service(), config);
    expect(completion.model).toBe('gpt-4o');
    expect(server.requests.map((request) => (request.body as { model: string }).model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o',
    ]);
    expect(env.tracer.names()).toEqual([
      ...exhaustedEvents(3),
      'fallback_used',
      'retry_attempt_start',
      'llm_call_success',
    ]);
    expect(env.tracer.named('fallback_used')).toEqual([{ from: 'primary', to: 'backup', reason: 'server' }]);
    expect(env.tracer.named('llm_call_success')).toEqual([{ attempt: 1, response_length: ECHO_LENGTH }]);
    expect(env.log.at('warn').map((entry: { message: string }) => entry.message)).toContain(
      'Falling back from primary to backup (server)',
    );
  });

  it('names configs by model when they have no name', async () => {
    const server = await env.startServer({ script: ['reset', 'reset', 'reset'] });
    await ask(service(), openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] }));
    expect(env.tracer.named('fallback_used')).toEqual([{ from: 'gpt-4o-mini', to: 'gpt-4o', reason: 'network' }]);
  });

  it.each<[string, FailureKind]>([
    ['429-quota', 'quota_exhausted'],
    ['400-context-length', 'context_length'],
  ])('%s moves on to the fallback at once', async (fault, kind) => {
    const server = await env.startServer({ script: [fault, 'ok'] });
    const completion = await ask(service(), openaiConfig(server, { fallbacks: [{ model: 'gpt-4o-128k' }] }));
    expect(completion.model).toBe('gpt-4o-128k');
    expect(faultsSeen(server)).toEqual([fault, 'ok']);
    expect(env.tracer.named('fallback_used')).toEqual([{ from: 'gpt-4o-mini', to: 'gpt-4o-128k', reason: kind }]);
  });

  it('content filter: no fallback by default', async () => {
    const server = await env.startServer({ script: ['400-content-filter', 'ok'] });
    const error = await failure(ask(service(), openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] })));
    expect(error.kind).toBe('content_filter');
    expect(error.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
    expect(env.tracer.named('fallback_used')).toEqual([]);
  });

  it('content filter: fallback with fallbackOnContentFilter: true', async () => {
    const server = await env.startServer({ script: ['400-content-filter', 'ok'] });
    const svc = new ResilientLLMService({ tracer: env.tracer, fallbackOnContentFilter: true });
    const completion = await ask(svc, openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] }));
    expect(completion.model).toBe('gpt-4o');
    expect(server.requests).toHaveLength(2);
    expect(env.tracer.named('fallback_used')).toEqual([
      { from: 'gpt-4o-mini', to: 'gpt-4o', reason: 'content_filter' },
    ]);
  });

  it('auth failure: no fallback', async () => {
    const server = await env.startServer({ script: ['401', 'ok'] });
    const error = await failure(ask(service(), openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] })));
    expect(error.kind).toBe('auth');
    expect(server.requests).toHaveLength(1);
    expect(env.tracer.named('fallback_used')).toEqual([]);
  });

  it('a plain bad request (404 from a wrong baseURL, kind bad_request): no fallback', async () => {
    const server = await env.startServer();
    const config = openaiConfig(server, {
      baseURL: `${server.url}/wrong/v1`,
      fallbacks: [{ baseURL: server.openaiBaseURL }],
    });
    const error = await failure(ask(service(), config));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toBe('The LLM service rejected the request');
    expect(faultsSeen(server)).toEqual(['not-found']);
    expect(env.tracer.named('fallback_used')).toEqual([]);
  });

  it('the fallback inherits baseURL, key and retryConfig from the primary', async () => {
    const server = await env.startServer({ script: ['500', '500', '500', '500', 'ok'] });
    const config = openaiConfig(server, {
      retryConfig: { baseDelayMs: 100, maxAttempts: 2 },
      fallbacks: [{ model: 'gpt-4o' }],
    });
    const error = await failure(ask(service(), config));
    // 2 attempts each: the fallback used the primary's maxAttempts.
    expect(server.requests.map((request) => (request.body as { model: string }).model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o-mini',
      'gpt-4o',
      'gpt-4o',
    ]);
    expect(server.requests.every((request) => request.path === '/v1/chat/completions')).toBe(true);
    expect(server.requests.every((request) => request.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
    // Attempts count every config tried.
    expect(error.attempts).toBe(4);
    expect(error.message).toBe('The LLM service is having problems (after 4 attempts)');
    expect(env.tracer.named('retry_attempt_start').map((details) => details.max_attempts)).toEqual([2, 2, 2, 2]);
  });

  it('tries each fallback in order; a fallback may set its own key and retry settings', async () => {
    const server = await env.startServer({ script: ['503', '503', '503', '429-quota', 'ok'] });
    const config = openaiConfig(server, {
      name: 'primary',
      fallbacks: [
        { model: 'gpt-4o', name: 'second', retryConfig: { baseDelayMs: 100, maxAttempts: 1 } },
        { model: 'gpt-4.1', name: 'third', apiKey: 'sk-proj-THIRDKEY0000000000000000000000' },
      ],
    });
    const completion = await ask(service(), config);
    expect(completion.model).toBe('gpt-4.1');
    expect(env.tracer.named('fallback_used')).toEqual([
      { from: 'primary', to: 'second', reason: 'server' },
      { from: 'second', to: 'third', reason: 'quota_exhausted' },
    ]);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      ...Array(4).fill(`Bearer ${OPENAI_KEY}`),
      'Bearer sk-proj-THIRDKEY0000000000000000000000',
    ]);
  });

  it('when every config fails, the error counts all attempts and carries the last error', async () => {
    const server = await env.startServer({ script: ['503', '503', '503', '502', '502', '502'] });
    const error = await failure(ask(service(), openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] })));
    expect(server.requests).toHaveLength(6);
    expect(error.attempts).toBe(6);
    expect(error.kind).toBe('server');
    expect((error.originalError as { status: number }).status).toBe(502);
  });

  it('Azure: falls back to another deployment', async () => {
    const server = await env.startServer({ script: ['429-quota', 'ok'] });
    const completion = await ask(service(), azureConfig(server, { fallbacks: [{ model: 'gpt-4o-mini' }] }));
    expect(completion.model).toBe('gpt-4o-mini');
    expect(server.requests.map((request) => request.deployment)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(server.requests.every((request) => request.headers['api-key'] === AZURE_KEY)).toBe(true);
  });

  it('without fallbacks, behaviour is unchanged (no fallback event)', async () => {
    const server = await env.startServer({ script: ['429-quota'] });
    const error = await failure(ask(service(), openaiConfig(server)));
    expect(error.kind).toBe('quota_exhausted');
    expect(env.tracer.named('fallback_used')).toEqual([]);
  });
});

describe('Azure OpenAI', () => {
  it('the same service retries through an AzureOpenAI client', async () => {
    const server = await env.startServer({ script: ['503', 'reset', 'ok'] });
    const completion = await ask(service(), azureConfig(server));
    expect(completion.model).toBe('gpt-4o');
    expect(
      server.requests.map((request) => [request.path, request.query['api-version'], request.headers['api-key']]),
    ).toEqual(Array(3).fill(['/openai/deployments/gpt-4o/chat/completions', '2024-10-21', AZURE_KEY]));
    expect(env.tracer.named('llm_call_success')).toEqual([{ attempt: 3, response_length: ECHO_LENGTH }]);
  });

  it('fails with a safe AgentExecutionError too', async () => {
    const server = await env.startServer({ script: ['401'] });
    const error = await failure(ask(service(), azureConfig(server)));
    expect(error.kind).toBe('auth');
    expect(error.message).toBe('Authentication with the LLM service failed');
    expectSafe(error, server);
  });

  it('asks the azureADTokenProvider for a token on every attempt', async () => {
    const server = await env.startServer({ script: ['503', '429:10', 'ok'] });
    let issued = 0;
    const tokenProvider = jest.fn(async () => `entra-token-${++issued}`);
    await ask(service(), azureConfig(server, { azureADTokenProvider: tokenProvider }));
    expect(tokenProvider).toHaveBeenCalledTimes(3);
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer entra-token-1',
      'Bearer entra-token-2',
      'Bearer entra-token-3',
    ]);
    expect(server.requests.every((request) => request.headers['api-key'] === undefined)).toBe(true);
  });

  it('a token provider throwing CredentialUnavailableError: kind auth, no retry, no request', async () => {
    const server = await env.startServer();
    const credentialError = new CredentialUnavailableError('DefaultAzureCredential failed to retrieve a token');
    const tokenProvider = jest.fn(async (): Promise<string> => {
      throw credentialError;
    });
    const error = await failure(ask(service(), azureConfig(server, { azureADTokenProvider: tokenProvider })));
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    expect(server.requests).toHaveLength(0);
    expect(error.kind).toBe('auth');
    expect(error.attempts).toBe(1);
    expect(error.message).toBe('Authentication with the LLM service failed');
    // openai wraps the provider's error in an OpenAIError whose cause is the original.
    const original = error.originalError as Error & { cause?: unknown };
    expect(original === credentialError || original.cause === credentialError).toBe(true);
    expect(env.tracer.names()).toEqual(notRetriedEvents);
    expect(env.tracer.named('retry_not_retryable')).toEqual([{ attempt: 1, kind: 'auth', reason: 'credential error' }]);
  });
});

describe('circuit breaker (on by default in the service)', () => {
  it('opens after 5 consecutive retryable failures, then fails fast without reaching the server', async () => {
    const server = await env.startServer({ script: Array(5).fill('503') });
    const svc = service();
    const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxAttempts: 5 } });
    const first = await failure(ask(svc, config));
    expect(first.kind).toBe('server');
    expect(server.requests).toHaveLength(5);
    expect(env.tracer.named('circuit_opened')).toEqual([{ key: config.upstreamKey, failures: 5 }]);

    const second = await failure(ask(svc, config));
    expect(second.kind).toBe('circuit_open');
    expect(second.message).toBe('The LLM service is temporarily unavailable');
    expect(server.requests).toHaveLength(5);
  });

  it('an open circuit moves on to the fallback', async () => {
    const server = await env.startServer({ script: Array(5).fill('503') });
    const svc = service();
    const config = openaiConfig(server, {
      retryConfig: { baseDelayMs: 100, maxAttempts: 5 },
      fallbacks: [{ model: 'gpt-4o', name: 'backup' }],
    });
    await ask(svc, config); // the primary opens its circuit, the fallback answers
    const completion = await ask(svc, config);
    expect(completion.model).toBe('gpt-4o');
    expect(env.tracer.named('fallback_used').at(-1)).toEqual({
      from: config.label,
      to: 'backup',
      reason: 'circuit_open',
    });
    expect(server.requests.map((request) => (request.body as { model?: string } | undefined)?.model)).toEqual([
      ...Array(5).fill(config.model),
      'gpt-4o',
      'gpt-4o',
    ]);
  });
});

describe('concurrency', () => {
  it('50 concurrent calls through one service with faultRate 0.3: all resolve, requests = sum of attempts', async () => {
    const server = await env.startServer({ faultRate: 0.3, faults: ['429:20', '500', '503', 'reset'], seed: 7 });
    const svc = service();
    // One shared config (one client); attempts generous enough that no call runs out. The
    // breaker (on by default) is off here: interleaved random faults may string together 5.
    const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxAttempts: 10, circuitBreaker: false } });
    const prompts = Array.from({ length: 50 }, (_, i) => `question number ${i}`);
    const completions = await Promise.all(prompts.map((prompt) => ask(svc, config, prompt)));

    completions.forEach((completion, i) => expect(completion.choices[0].message.content).toBe(`Echo: ${prompts[i]}`));
    const successes = env.tracer.named('llm_call_success');
    expect(successes).toHaveLength(50);
    const attempts = successes.reduce((sum, details) => sum + (details.attempt as number), 0);
    expect(server.requests).toHaveLength(attempts);
    expect(env.tracer.named('retry_attempt_start')).toHaveLength(attempts);
    // Every extra request was a fault that got retried.
    expect(server.requests.filter((request) => request.fault !== 'ok')).toHaveLength(attempts - 50);
    expect(attempts).toBeGreaterThan(50);
  });

  it('50 concurrent calls through one service with separate tracers do not mix their events', async () => {
    const server = await env.startServer({ script: Array(10).fill('503') });
    const factory = new LLMServiceFactory();
    const tracers = Array.from({ length: 50 }, () => new RecordingTracer());
    const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxAttempts: 5, circuitBreaker: false } });
    await Promise.all(tracers.map((tracer, i) => ask(new ResilientLLMService({ tracer, factory }), config, `q${i}`)));
    const perCall = tracers.map((tracer) => tracer.named('retry_attempt_start').length);
    expect(perCall.reduce((a, b) => a + b, 0)).toBe(server.requests.length);
    for (const tracer of tracers) expect(tracer.named('llm_call_success')).toHaveLength(1);
  });
});
