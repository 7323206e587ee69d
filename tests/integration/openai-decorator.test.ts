/**
 * @RetryOpenAI end to end: the real `openai` client (maxRetries: 0) against a scripted
 * 127.0.0.1 server. Sockets are real; the retry sleeps run on jest's fake clock.
 */
import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { getRetryContext, RetryConfig, RetryOpenAI, RetryTimeoutError, TRACE_EVENTS } from '../../src';
import {
  closedPortUrl,
  reply,
  scripted,
  startLoopbackServer,
  type LoopbackHandler,
  type LoopbackServer,
} from '../support/loopback-server';
import { chatCompletion, className, drive, errorBody, rejectionOf, settleIo, until, useHarness } from './harness';

const API_KEY = 'sk-proj-TESTKEY0123456789abcdefABCDEF0123456789';

const h = useHarness();

let server: LoopbackServer | undefined;
let observed: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  await observed?.close();
  server = observed = undefined;
});

async function serve(handler: LoopbackHandler | ReturnType<typeof reply.json>): Promise<LoopbackServer> {
  server = await startLoopbackServer(handler);
  return server;
}

/** Replies from a script, one per request in order; the last one repeats. */
const script =
  (...replies: ReturnType<typeof reply.json>[]): LoopbackHandler =>
  (_request, index) =>
    replies[Math.min(index, replies.length - 1)];

function client(baseURL: string, options: { timeout?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: API_KEY, baseURL: `${baseURL}/v1`, maxRetries: 0, ...options });
}

/** A server-sent-events body of chat completion chunks, as `stream: true` gets it. */
function sse(pieces: string[], done = true): string {
  const chunks = pieces.map((content, i) =>
    JSON.stringify({
      id: 'chatcmpl-stream',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content } : { content }, finish_reason: null }],
    }),
  );
  return chunks.map((chunk) => `data: ${chunk}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
}
const SSE_HEADERS = { 'content-type': 'text/event-stream' };

const body = (question: string) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: question }] });

class ChatAgent {
  constructor(private readonly client: OpenAI) {}

  /** The README's shape: the attempt's signal goes to the SDK. */
  @RetryOpenAI()
  async ask(question: string): Promise<ChatCompletion> {
    const { signal } = getRetryContext()!;
    return this.client.chat.completions.create(body(question), { signal });
  }

  /** Not async: returns openai's APIPromise (a thenable) as is. */
  @RetryOpenAI()
  askRaw(question: string) {
    return this.client.chat.completions.create(body(question));
  }

  @RetryOpenAI({ attemptTimeoutMs: 1_000 })
  async askWithAttemptTimeout(question: string): Promise<ChatCompletion> {
    return this.client.chat.completions.create(body(question), { signal: getRetryContext()!.signal });
  }

  @RetryOpenAI({ totalTimeoutMs: 5_000, maxAttempts: 5 })
  async askWithinFiveSeconds(question: string): Promise<ChatCompletion> {
    return this.client.chat.completions.create(body(question), { signal: getRetryContext()!.signal });
  }

  /** Streaming: retried only until the first piece reaches the caller. */
  @RetryOpenAI()
  async *streamAnswer(question: string): AsyncGenerator<string> {
    const stream = await this.client.chat.completions.create(
      { ...body(question), stream: true },
      { signal: getRetryContext()!.signal },
    );
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) yield piece;
    }
  }

  /** Records which attempt each question ran in, as the retry context reports it. */
  readonly attemptsSeen = new Map<string, number[]>();
  @RetryOpenAI()
  async askRecordingAttempt(question: string): Promise<ChatCompletion> {
    const context = getRetryContext()!;
    this.attemptsSeen.set(question, [...(this.attemptsSeen.get(question) ?? []), context.attempt]);
    const completion = await this.client.chat.completions.create(body(question), { signal: context.signal });
    // Still this call's context after the awaits, whatever the 19 other calls did meanwhile.
    expect(getRetryContext()).toBe(context);
    return completion;
  }

  /** The caller's request options carry its own AbortSignal. */
  @RetryOpenAI()
  async askCancellable(question: string, options: { signal: AbortSignal }): Promise<ChatCompletion> {
    void options;
    return this.client.chat.completions.create(body(question), { signal: getRetryContext()!.signal });
  }
}

describe('@RetryOpenAI with the real OpenAI client', () => {
  it('waits as long as retry-after-ms asks after a 429, then returns the parsed completion', async () => {
    const srv = await serve(
      script(
        reply.json(429, errorBody('Rate limit reached', { type: 'requests', code: 'rate_limit_exceeded' }), {
          'retry-after-ms': '2000',
          'x-request-id': 'req_429',
        }),
        reply.json(200, chatCompletion('pong')),
      ),
    );
    const agent = new ChatAgent(client(srv.url));
    const call = agent.ask('ping');
    call.catch(() => undefined);

    await until(() => h.retries().length === 1, 'the retry announcement');
    // max(500 ms backoff, 2000 ms) + 0.5 * 10% of 2000 ms
    expect(h.retries()[0]).toMatchObject({
      method: 'ChatAgent.ask',
      attempt: 1,
      maxAttempts: 3,
      delayMs: 2100,
      kind: 'rate_limit',
      status: 429,
      requestId: 'req_429',
      errorType: 'RateLimitError',
    });
    expect(h.eventsNamed(TRACE_EVENTS.backoffDelay)).toEqual([
      {
        attempt: 1,
        delay_seconds: 2.1,
        backoff_formula: 'Retry-After 2.00 s + up to 10% spread',
        source: 'retry-after',
      },
    ]);

    await jest.advanceTimersByTimeAsync(2099);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
    expect(h.eventsNamed(TRACE_EVENTS.attemptStart)).toHaveLength(1);

    await jest.advanceTimersByTimeAsync(1);
    expect(h.eventsNamed(TRACE_EVENTS.attemptStart)).toHaveLength(2);
    const completion = await drive(h, call, 1);

    // The decorated method returns the parsed body: no `.withResponse()` dance needed.
    expect(completion.choices[0].message.content).toBe('pong');
    expect(completion.id).toBe('chatcmpl-test');
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests.map((r) => r.url)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    expect(h.eventsNamed(TRACE_EVENTS.success)).toEqual([{ attempt: 2 }]);
    expect(h.log.at('error')).toHaveLength(0);
  });

  it('503, 503, 200: three requests, backoff 500 ms then 1000 ms', async () => {
    const srv = await serve(
      script(
        reply.json(503, errorBody('overloaded')),
        reply.json(503, errorBody('overloaded')),
        reply.json(200, chatCompletion('ok')),
      ),
    );
    const completion = await drive(h, new ChatAgent(client(srv.url)).ask('hi'));
    expect(completion.choices[0].message.content).toBe('ok');
    expect(srv.requests).toHaveLength(3);
    expect(h.retries().map((entry) => entry.delayMs)).toEqual([500, 1000]);
    expect(h.retries().map((entry) => entry.errorType)).toEqual(['InternalServerError', 'InternalServerError']);
  });

  it('a method returning the APIPromise itself (a thenable) is retried too', async () => {
    const srv = await serve(
      script(reply.json(502, errorBody('bad gateway')), reply.json(200, chatCompletion('thenable'))),
    );
    const completion = await drive(h, Promise.resolve(new ChatAgent(client(srv.url)).askRaw('hi')));
    expect(completion.choices[0].message.content).toBe('thenable');
    expect(srv.requests).toHaveLength(2);
  });

  it('503 x3: rejects with the SDK InternalServerError after exactly 3 requests, one error log', async () => {
    const srv = await serve(reply.json(503, errorBody('overloaded'), { 'x-request-id': 'req_503' }));
    const error = await rejectionOf(drive(h, new ChatAgent(client(srv.url)).ask('hi')));

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(className(error)).toBe('InternalServerError');
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
    expect(srv.requests).toHaveLength(3);
    expect(h.retries()).toHaveLength(2);
    const errors = h.log.at('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      method: 'ChatAgent.ask',
      attempt: 3,
      maxAttempts: 3,
      kind: 'server',
      status: 503,
      requestId: 'req_503',
      errorType: 'InternalServerError',
    });
    expect(h.eventsNamed(TRACE_EVENTS.maxRetriesExceeded)).toEqual([
      { max_attempts: 3, final_error_type: 'InternalServerError', kind: 'server' },
    ]);
  });

  it.each([
    [
      '401',
      reply.json(401, errorBody('Incorrect API key provided', { code: 'invalid_api_key' })),
      'AuthenticationError',
      'status 401',
    ],
    [
      '429 insufficient_quota',
      reply.json(
        429,
        errorBody('You exceeded your current quota', { type: 'insufficient_quota', code: 'insufficient_quota' }),
        { 'retry-after': '1' },
      ),
      'RateLimitError',
      'insufficient_quota',
    ],
    [
      '400 context_length_exceeded',
      reply.json(
        400,
        errorBody("This model's maximum context length is 128000 tokens", {
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
        }),
      ),
      'BadRequestError',
      'context_length_exceeded',
    ],
    [
      '503 with x-should-retry: false',
      reply.json(503, errorBody('overloaded'), { 'x-should-retry': 'false' }),
      'InternalServerError',
      'x-should-retry: false',
    ],
  ])('%s: not retried (one request)', async (_label, chosen, errorClass, reason) => {
    const srv = await serve(chosen);
    const error = await rejectionOf(drive(h, new ChatAgent(client(srv.url)).ask('hi')));
    expect(className(error)).toBe(errorClass);
    await settleIo();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(srv.requests).toHaveLength(1);
    expect(h.retries()).toHaveLength(0);
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([expect.objectContaining({ attempt: 1, reason })]);
    // Our credentials refused or the quota spent: someone must act (warn); the rest: debug.
    const level = /401|insufficient_quota/.test(reason) ? 'warn' : 'debug';
    const notRetried = (entry: { message: string }) => entry.message.includes('is not retried');
    expect(
      h.log
        .at(level)
        .filter(notRetried)
        .map((entry: { message: string }) => entry.message),
    ).toEqual([expect.stringContaining(`is not retried: ${reason}`)]);
    expect(h.log.at(level === 'warn' ? 'debug' : 'warn').filter(notRetried)).toEqual([]);
  });

  it.each([
    [408, true],
    [409, true],
    [500, true],
    [504, true],
    [403, false],
    [404, false],
    [422, false],
    [501, false],
    [505, false],
  ])('status %i: retried = %s', async (status, retried) => {
    const srv = await serve(
      script(reply.json(status, errorBody(`status ${status}`)), reply.json(200, chatCompletion('second'))),
    );
    const outcome = drive(h, new ChatAgent(client(srv.url)).ask('hi'));
    if (retried) {
      await expect(outcome).resolves.toMatchObject({ choices: [{ message: { content: 'second' } }] });
    } else {
      expect((await rejectionOf(outcome)) as { status?: number }).toMatchObject({ status });
    }
    await settleIo();
    expect(srv.requests).toHaveLength(retried ? 2 : 1);
  });

  it('x-should-retry: true on a 400 wins: retried', async () => {
    const srv = await serve(
      script(
        reply.json(400, errorBody('try again'), { 'x-should-retry': 'true' }),
        reply.json(200, chatCompletion('ok')),
      ),
    );
    await expect(drive(h, new ChatAgent(client(srv.url)).ask('hi'))).resolves.toMatchObject({
      choices: [{ message: { content: 'ok' } }],
    });
    expect(srv.requests).toHaveLength(2);
  });

  it("the instance's retryConfig (per-agent config) sets maxAttempts for the real client", async () => {
    class TwoAttemptAgent extends ChatAgent {
      readonly retryConfig = new RetryConfig({ maxAttempts: 2, baseDelayMs: 200 });
    }
    const srv = await serve(reply.json(503, errorBody('overloaded')));
    const error = await rejectionOf(drive(h, new TwoAttemptAgent(client(srv.url)).ask('hi')));
    expect(className(error)).toBe('InternalServerError');
    expect(srv.requests).toHaveLength(2);
    expect(h.retries()).toEqual([expect.objectContaining({ method: 'ChatAgent.ask', maxAttempts: 2, delayMs: 100 })]);
  });

  it('a reset connection is retried', async () => {
    const srv = await serve(script(reply.reset(), reply.json(200, chatCompletion('after reset'))));
    const completion = await drive(h, new ChatAgent(client(srv.url)).ask('hi'));
    expect(completion.choices[0].message.content).toBe('after reset');
    expect(srv.requests).toHaveLength(2);
    expect(h.retries()[0]).toMatchObject({ kind: 'network', errorType: 'APIConnectionError' });
  });

  it('a closed port: retried maxAttempts times, then the APIConnectionError', async () => {
    const url = await closedPortUrl();
    const error = await rejectionOf(drive(h, new ChatAgent(client(url)).ask('hi')));
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(className(error)).toBe('APIConnectionError');
    expect(h.eventsNamed(TRACE_EVENTS.attemptStart)).toHaveLength(3);
    expect(h.retries().map((entry) => entry.delayMs)).toEqual([500, 1000]);
    expect(h.log.at('error')).toHaveLength(1);
  });

  it('retry-after: 3600 is above maxRetryAfterMs: fails at once with the RateLimitError', async () => {
    const srv = await serve(
      reply.json(429, errorBody('Rate limit reached', { code: 'rate_limit_exceeded' }), { 'retry-after': '3600' }),
    );
    const error = await rejectionOf(drive(h, new ChatAgent(client(srv.url)).ask('hi')));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(className(error)).toBe('RateLimitError');
    await settleIo();
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(srv.requests).toHaveLength(1);
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([
      { attempt: 1, kind: 'rate_limit', reason: 'retry_after_exceeds_max' },
    ]);
  });

  it('attemptTimeoutMs aborts a hanging attempt through the context signal (the socket closes), then retries', async () => {
    observed = await startLoopbackServer(
      scripted([reply.hang(), reply.json(200, chatCompletion('second time lucky'))]),
    );
    const srv = observed;
    const call = new ChatAgent(client(srv.url)).askWithAttemptTimeout('hi');
    call.catch(() => undefined);

    await until(() => srv.requests.length === 1, 'the first request');
    await jest.advanceTimersByTimeAsync(999);
    await settleIo();
    expect(srv.requests[0].closedBeforeReply).toBe(false);

    await jest.advanceTimersByTimeAsync(1);
    await until(() => srv.requests[0].closedBeforeReply, 'the server to see the aborted socket close');
    const completion = await drive(h, call);

    expect(completion.choices[0].message.content).toBe('second time lucky');
    expect(srv.requests).toHaveLength(2);
    expect(h.retries()).toEqual([
      expect.objectContaining({ kind: 'timeout', errorType: 'AttemptTimeoutError', delayMs: 500 }),
    ]);
  });

  it("the caller's AbortController aborting during the backoff rejects with its reason; no further request", async () => {
    const srv = await serve(script(reply.json(503, errorBody('overloaded')), reply.json(200, chatCompletion())));
    const controller = new AbortController();
    const call = new ChatAgent(client(srv.url)).askCancellable('hi', { signal: controller.signal });
    const settled = expect(call).rejects.toBe('user cancelled');

    await until(() => h.retries().length === 1, 'the retry announcement');
    await jest.advanceTimersByTimeAsync(100); // inside the 500 ms backoff
    controller.abort('user cancelled');
    await settled;

    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
    expect(h.eventsNamed(TRACE_EVENTS.attemptStart)).toHaveLength(1);
  });

  it('20 concurrent calls through one instance, each failing once: all succeed with 40 requests', async () => {
    const failedOnce = new Set<string>();
    const srv = await serve((request) => {
      const question = (JSON.parse(request.body) as { messages: Array<{ content: string }> }).messages[0].content;
      if (!failedOnce.has(question)) {
        failedOnce.add(question);
        return reply.json(503, errorBody('overloaded'));
      }
      return reply.json(200, chatCompletion(`answer to ${question}`));
    });
    const agent = new ChatAgent(client(srv.url));
    const questions = Array.from({ length: 20 }, (_, i) => `question ${i}`);

    const completions = await drive(h, Promise.all(questions.map((question) => agent.askRecordingAttempt(question))));

    expect(completions.map((completion) => completion.choices[0].message.content)).toEqual(
      questions.map((question) => `answer to ${question}`),
    );
    expect(srv.requests).toHaveLength(40);
    expect(h.retries()).toHaveLength(20);
    expect(h.eventsNamed(TRACE_EVENTS.success)).toHaveLength(20);
    expect(h.eventsNamed(TRACE_EVENTS.success).every((details) => details.attempt === 2)).toBe(true);
    // Each call saw its own retry context: attempt 1, then attempt 2.
    expect(new Set([...agent.attemptsSeen.values()].map((attempts) => attempts.join(',')))).toEqual(new Set(['1,2']));
    expect(agent.attemptsSeen.size).toBe(20);
  });

  it("the caller's abort while an attempt is in flight rejects at once and tears down the request", async () => {
    observed = await startLoopbackServer(scripted([reply.hang()]));
    const srv = observed;
    const controller = new AbortController();
    const call = new ChatAgent(client(srv.url)).askCancellable('hi', { signal: controller.signal });
    const settled = expect(call).rejects.toBe('user cancelled');

    await until(() => srv.requests.length === 1, 'the first request');
    controller.abort('user cancelled');
    await settled;
    await until(() => srv.requests[0].closedBeforeReply, 'the server to see the socket close');
    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
  });

  it("the SDK's own request timeout (timeout: 2000) is a retryable failure", async () => {
    observed = await startLoopbackServer(
      scripted([reply.hang(), reply.json(200, chatCompletion('after sdk timeout'))]),
    );
    const srv = observed;
    const call = new ChatAgent(client(srv.url, { timeout: 2_000 })).ask('hi');
    call.catch(() => undefined);

    await until(() => srv.requests.length === 1, 'the first request');
    await jest.advanceTimersByTimeAsync(2_000); // openai's timer is on the fake clock too
    const completion = await drive(h, call);

    expect(completion.choices[0].message.content).toBe('after sdk timeout');
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[0].closedBeforeReply).toBe(true);
    expect(['APIConnectionTimeoutError', 'APIConnectionError']).toContain(h.retries()[0].errorType);
    expect(['timeout', 'network']).toContain(h.retries()[0].kind);
  });

  it('Retry-After as an HTTP date is honoured', async () => {
    jest.setSystemTime(Date.parse('2025-01-01T00:00:00Z'));
    const srv = await serve(
      script(
        reply.json(429, errorBody('Rate limit reached'), {
          'retry-after': new Date(Date.parse('2025-01-01T00:00:03Z')).toUTCString(),
        }),
        reply.json(200, chatCompletion('dated')),
      ),
    );
    const completion = await drive(h, new ChatAgent(client(srv.url)).ask('hi'));
    expect(completion.choices[0].message.content).toBe('dated');
    // 3000 ms + 0.5 * 10% of it
    expect(h.retries()[0]).toMatchObject({ delayMs: 3150 });
  });

  it('totalTimeoutMs: no sleep ends past the deadline; the last provider error is rethrown', async () => {
    const srv = await serve(reply.json(429, errorBody('Rate limit reached'), { 'retry-after-ms': '2000' }));
    const error = await rejectionOf(drive(h, new ChatAgent(client(srv.url)).askWithinFiveSeconds('hi')));

    // maxAttempts 5, but: attempt 1 at 0 ms, sleep 2100 ms, attempt 2 at 2100 ms, sleep 2100 ms,
    // attempt 3 at 4200 ms; a third sleep would end at 6300 ms > 5000 ms.
    expect(className(error)).toBe('RateLimitError');
    expect(srv.requests).toHaveLength(3);
    expect(h.retries().map((entry) => entry.delayMs)).toEqual([2100, 2100]);
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([{ attempt: 3, kind: 'rate_limit', reason: 'deadline' }]);
    const errors = h.log.at('error');
    expect(errors).toEqual([expect.objectContaining({ attempt: 3, maxAttempts: 5, kind: 'rate_limit' })]);
    expect(errors[0].message).toContain('total timeout of 5000 ms');
  });

  it('totalTimeoutMs with a server that never answers: RetryTimeoutError, and the request is torn down', async () => {
    observed = await startLoopbackServer(scripted([reply.hang()]));
    const srv = observed;
    const call = new ChatAgent(client(srv.url)).askWithinFiveSeconds('hi');
    const settled = rejectionOf(call);

    await until(() => srv.requests.length === 1, 'the first request');
    await jest.advanceTimersByTimeAsync(5_000);
    const error = await settled;
    expect(error).toBeInstanceOf(RetryTimeoutError);
    await until(() => srv.requests[0].closedBeforeReply, 'the server to see the socket close');
    expect(srv.requests).toHaveLength(1);
  });
});

describe('@RetryOpenAI on a streaming (async generator) method', () => {
  async function collect(stream: AsyncIterable<string>, into: string[]): Promise<string[]> {
    for await (const piece of stream) into.push(piece);
    return into;
  }

  it('a 503 before the stream starts is retried; the caller gets the whole answer once', async () => {
    const srv = await serve(
      script(reply.json(503, errorBody('overloaded')), {
        kind: 'respond',
        status: 200,
        headers: SSE_HEADERS,
        body: sse(['Hel', 'lo', '!']),
      }),
    );
    const pieces = await drive(h, collect(new ChatAgent(client(srv.url)).streamAnswer('hi'), []));
    expect(pieces).toEqual(['Hel', 'lo', '!']);
    expect(srv.requests).toHaveLength(2);
    expect(JSON.parse(srv.requests[1].body)).toMatchObject({ stream: true });
  });

  it('a stream cut after its first piece reached the caller is not retried', async () => {
    const srv = await serve(reply.cut(200, sse(['Hel'], false), SSE_HEADERS));
    const received: string[] = [];
    const error = await rejectionOf(drive(h, collect(new ChatAgent(client(srv.url)).streamAnswer('hi'), received)));

    expect(received).toEqual(['Hel']);
    // A StreamInterruptedError whose cause is undici's `TypeError: terminated` (the body was cut).
    expect(error).toMatchObject({ name: 'StreamInterruptedError', itemsReceived: 1, partialText: 'Hel' });
    expect(((error as Error).cause as Error).message).toBe('terminated');
    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
    expect(h.retries()).toHaveLength(0);
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([
      expect.objectContaining({ attempt: 1, reason: 'stream_started' }),
    ]);
  });
});

describe('@RetryOpenAI without a tracer (the lean first attempt)', () => {
  const lean = useHarness({ tracer: false });

  it('503 then 200 is still retried, with the same log line', async () => {
    const srv = await serve(script(reply.json(503, errorBody('overloaded')), reply.json(200, chatCompletion('lean'))));
    const completion = await drive(lean, Promise.resolve(new ChatAgent(client(srv.url)).askRaw('hi')));
    expect(completion.choices[0].message.content).toBe('lean');
    expect(srv.requests).toHaveLength(2);
    expect(lean.retries()).toEqual([
      expect.objectContaining({ method: 'ChatAgent.askRaw', attempt: 1, delayMs: 500, status: 503 }),
    ]);
  });
});
