import { APIConnectionError, AuthenticationError, InternalServerError, RateLimitError } from 'openai';
import { configureResilience, resetResilience, Retry, RetryOpenAI, Tracer } from '../../src';
import { createTestLogger } from '../support/test-logger';

const API_KEY = 'sk-proj-SECRETSECRETSECRET1234567890';
let log: ReturnType<typeof createTestLogger>;
let events: Array<[string, Record<string, unknown>]>;
let tracer: Tracer;

beforeEach(() => {
  resetResilience();
  log = createTestLogger();
  events = [];
  tracer = { logEvent: (event, details) => void events.push([event, details]) };
  configureResilience({ logger: log.logger, random: () => 0.5 });
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  resetResilience();
});

// Real openai SDK error classes, built as the SDK builds them from a response.
function rateLimit(headers: Record<string, string> = {}, requestId = 'req_abc') {
  const body = { message: `Rate limit reached for key ${API_KEY}`, type: 'requests', code: 'rate_limit_exceeded' };
  return new RateLimitError(429, body, undefined, new Headers({ 'x-request-id': requestId, ...headers }));
}
const serverError = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());

function agentThatFails(failures: unknown[], options: Parameters<typeof RetryOpenAI>[0] = {}) {
  let calls = 0;
  class ChatAgent {
    calls = () => calls;
    @RetryOpenAI({ tracer, ...options })
    async complete(_prompt: string) {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'answer';
    }
  }
  return new ChatAgent();
}

async function settle<T>(promise: Promise<T>): Promise<T | unknown> {
  const outcome = promise.catch((error: unknown) => error);
  await jest.runAllTimersAsync();
  return outcome;
}

describe('logging', () => {
  it('logs one warning per retry with structured meta, and nothing above debug on success', async () => {
    const agent = agentThatFails([rateLimit()]);
    expect(await settle(agent.complete('hello'))).toBe('answer');
    const warnings = log.at('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toBe(
      'Retrying ChatAgent.complete in 0.50s (attempt 1/3 failed: rate_limit 429, request req_abc)',
    );
    expect(warnings[0]).toMatchObject({
      method: 'ChatAgent.complete',
      attempt: 1,
      maxAttempts: 3,
      delayMs: 500,
      kind: 'rate_limit',
      status: 429,
      requestId: 'req_abc',
    });
    expect(log.at('debug').map((entry) => entry.message)).toEqual(['ChatAgent.complete succeeded at attempt 2/3']);
  });

  it('logs giving up at error level', async () => {
    const agent = agentThatFails([serverError(), serverError(), serverError()]);
    expect(await settle(agent.complete('x'))).toBeInstanceOf(InternalServerError);
    expect(log.at('error').map((entry) => entry.message)).toEqual([
      'Giving up on ChatAgent.complete after 3 attempts (server 503)',
    ]);
  });

  it('never logs the API key, the provider message or the prompt', async () => {
    const auth = new AuthenticationError(
      401,
      { message: `Incorrect API key provided: ${API_KEY}` },
      undefined,
      new Headers({ authorization: `Bearer ${API_KEY}` }),
    );
    const agent = agentThatFails([rateLimit(), auth]);
    const outcome = await settle(agent.complete('my secret prompt about Bob'));
    expect(outcome).toBe(auth);
    const dump = log.transport.dump();
    expect(dump).not.toContain(API_KEY);
    expect(dump).not.toContain('Incorrect API key');
    expect(dump).not.toContain('Rate limit reached');
    expect(dump).not.toContain('secret prompt');
    expect(log.at('warn').some((entry) => entry.kind === 'auth')).toBe(true);
  });
});

describe('trace events', () => {
  it('reports attempts, failures, backoff and success in order with their details', async () => {
    const agent = agentThatFails([rateLimit(), serverError()]);
    expect(await settle(agent.complete('x'))).toBe('answer');
    expect(events).toEqual([
      ['retry_attempt_start', { attempt: 1, max_attempts: 3 }],
      ['retry_attempt_failed', { attempt: 1, error_type: 'RateLimitError', kind: 'rate_limit', status: 429 }],
      ['retry_backoff_delay', { attempt: 1, delay_seconds: 0.5, backoff_formula: '1.0 * (2 ** 0)', source: 'backoff' }],
      ['retry_attempt_start', { attempt: 2, max_attempts: 3 }],
      ['retry_attempt_failed', { attempt: 2, error_type: 'InternalServerError', kind: 'server', status: 503 }],
      ['retry_backoff_delay', { attempt: 2, delay_seconds: 1, backoff_formula: '1.0 * (2 ** 1)', source: 'backoff' }],
      ['retry_attempt_start', { attempt: 3, max_attempts: 3 }],
      ['llm_call_success', { attempt: 3 }],
    ]);
  });

  it('reports max_retries_exceeded when attempts run out', async () => {
    const agent = agentThatFails([serverError(), serverError()], { maxAttempts: 2 });
    await settle(agent.complete('x'));
    expect(events.at(-1)).toEqual([
      'max_retries_exceeded',
      { max_attempts: 2, final_error_type: 'InternalServerError', kind: 'server' },
    ]);
  });

  it('reports retry_not_retryable after the failure for an error not worth retrying', async () => {
    const quota = new RateLimitError(429, { code: 'insufficient_quota', message: 'quota' }, undefined, new Headers());
    const agent = agentThatFails([quota]);
    expect(await settle(agent.complete('x'))).toBe(quota);
    expect(events.map(([name]) => name)).toEqual([
      'retry_attempt_start',
      'retry_attempt_failed',
      'retry_not_retryable',
    ]);
    expect(events[2][1]).toMatchObject({ attempt: 1, kind: 'quota_exhausted' });
  });

  it('keeps working when the tracer throws or rejects', async () => {
    let calls = 0;
    const broken: Tracer = {
      logEvent: () => {
        calls++;
        if (calls % 2) throw new Error('tracer down');
        return Promise.reject(new Error('tracer down'));
      },
    };
    const agent = agentThatFails([serverError()], { tracer: broken });
    expect(await settle(agent.complete('x'))).toBe('answer');
    expect(calls).toBeGreaterThan(3);
  });

  it('builds no events when no tracer is configured', async () => {
    let calls = 0;
    class Agent {
      @Retry({ shouldRetry: () => true })
      async run() {
        calls++;
        return 1;
      }
    }
    expect(await settle(new Agent().run())).toBe(1);
    expect(calls).toBe(1);
    expect(events).toHaveLength(0);
  });
});

describe('per-instance observers and success details', () => {
  it('sends events to the tracer and logger the instance chooses, with extra success details', async () => {
    const own = createTestLogger();
    const ownEvents: string[] = [];
    class Service {
      constructor(readonly tracer: Tracer) {}
      @Retry({
        shouldRetry: () => true,
        observers: (self: Service) => ({ tracer: self.tracer, logger: own.logger }),
        successDetails: (text: string) => ({ response_length: text.length }),
      })
      async run(fail: boolean[]) {
        if (fail.shift()) throw new InternalServerError(503, {}, undefined, new Headers());
        return 'hello';
      }
    }
    const service = new Service({
      logEvent: (event, details) => void ownEvents.push(`${event} ${JSON.stringify(details)}`),
    });
    expect(await settle(service.run([true]))).toBe('hello');
    expect(ownEvents.at(-1)).toBe('llm_call_success {"attempt":2,"response_length":5}');
    expect(events).toHaveLength(0);
    expect(own.at('warn')).toHaveLength(1);
    expect(log.at('warn')).toHaveLength(0);
  });

  it('rejects what the observers function returns when it is not a logger or tracer', async () => {
    class Service {
      @Retry({ shouldRetry: () => true, observers: () => ({ tracer: {} as Tracer }) })
      async run() {
        return 1;
      }
    }
    await expect(Promise.resolve().then(() => new Service().run())).rejects.toThrow(
      /observers\(\)\.tracer must have a logEvent/,
    );
  });
});

describe('Retry-After', () => {
  it('sleeps the larger of backoff and Retry-After, plus up to 10% of it', async () => {
    const agent = agentThatFails([rateLimit({ 'retry-after-ms': '2000' })]);
    expect(await settle(agent.complete('x'))).toBe('answer');
    // max(500 backoff, 2000) + 0.5 * 10% * 2000
    expect(log.at('warn')[0].delayMs).toBe(2100);
    expect(events.find(([name]) => name === 'retry_backoff_delay')?.[1]).toMatchObject({
      delay_seconds: 2.1,
      source: 'retry-after',
    });
  });

  it('reads retry-after in seconds', async () => {
    const agent = agentThatFails([rateLimit({ 'retry-after': '3' })]);
    await settle(agent.complete('x'));
    expect(log.at('warn')[0].delayMs).toBe(3150);
  });

  it('fails at once with the original error when the server asks for more than maxRetryAfterMs', async () => {
    const tooLong = rateLimit({ 'retry-after': '3600' });
    const agent = agentThatFails([tooLong]);
    expect(await settle(agent.complete('x'))).toBe(tooLong);
    expect(agent.calls()).toBe(1);
    expect(events.at(-1)).toEqual([
      'retry_not_retryable',
      { attempt: 1, kind: 'rate_limit', reason: 'retry_after_exceeds_max' },
    ]);
  });

  it('ignores the headers entirely, cap included, with respectRetryAfter: false', async () => {
    const agent = agentThatFails([rateLimit({ 'retry-after': '3600' })], { respectRetryAfter: false });
    expect(await settle(agent.complete('x'))).toBe('answer');
    expect(log.at('warn')[0].delayMs).toBe(500);
  });

  it('retries connection errors', async () => {
    const agent = agentThatFails([new APIConnectionError({ message: 'Connection error.' })]);
    expect(await settle(agent.complete('x'))).toBe('answer');
    expect(log.at('warn')[0].kind).toBe('network');
  });
});
