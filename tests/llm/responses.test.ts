/**
 * ResilientLLMService.resilientResponse and resilientResponseStream with the real openai SDK
 * (OpenAI and AzureOpenAI clients) against the fault server: JSON responses (HTTP errors and
 * `status: 'failed'` bodies, classified by code), streams before and after their commit point,
 * fallbacks (never mid-stream), and background streams resumed where they broke.
 */
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import {
  AgentExecutionError,
  isStreamEventError,
  ResilientLLMService,
  StreamInterruptedError,
  type ResponseRequest,
} from '../../src';
import {
  azureConfig,
  className,
  drain,
  faultsSeen,
  openaiConfig,
  PROMPT,
  rejectionOf,
  useLLMTestEnvironment,
  RETRIED_ONCE_THEN_SUCCESS,
} from './helpers';

const env = useLLMTestEnvironment();

const service = (options: ConstructorParameters<typeof ResilientLLMService>[0] = {}) =>
  new ResilientLLMService({ tracer: env.tracer, ...options });

const request = (overrides: Partial<ResponseRequest> = {}): ResponseRequest => ({ input: PROMPT, ...overrides });

/** The text of a stream's deltas. */
const textOf = (events: ResponseStreamEvent[]) =>
  events.map((event) => (event.type === 'response.output_text.delta' ? event.delta : '')).join('');
const typesOf = (events: ResponseStreamEvent[]) => events.map((event) => event.type);
const sequenceOf = (events: ResponseStreamEvent[]) => events.map((event) => event.sequence_number);

/** A stream that arrived whole: no error, each sequence number once and in order, the full echo. */
function expectWholeEcho(events: ResponseStreamEvent[], error: unknown): void {
  expect(error).toBeUndefined();
  expect(sequenceOf(events)).toEqual(events.map((_, index) => index));
  expect(textOf(events)).toBe(`Echo: ${PROMPT}`);
}

async function agentFailure(promise: Promise<unknown>): Promise<AgentExecutionError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(AgentExecutionError);
  return error as AgentExecutionError;
}

describe('resilientResponse (JSON)', () => {
  it('returns the response after one request, with its output_text', async () => {
    const server = await env.startServer();
    const response = await service().resilientResponse(openaiConfig(server), {
      input: PROMPT,
      instructions: 'Be brief',
      temperature: 0,
      maxOutputTokens: 50,
      params: { metadata: { topic: 'test' } },
    });
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(`Echo: ${PROMPT}`);
    expect(server.requests.map((r) => [r.api, r.path])).toEqual([['responses', '/v1/responses']]);
    expect(server.requests[0].body).toEqual({
      model: 'gpt-4o-mini',
      input: PROMPT,
      instructions: 'Be brief',
      temperature: 0,
      max_output_tokens: 50,
      metadata: { topic: 'test' },
      stream: false,
    });
    expect(env.tracer.events).toEqual([
      { event: 'retry_attempt_start', details: { attempt: 1, max_attempts: 3 } },
      { event: 'llm_call_success', details: { attempt: 1, response_length: `Echo: ${PROMPT}`.length } },
    ]);
  });

  it('takes an input item list', async () => {
    const server = await env.startServer();
    const response = await service().resilientResponse(openaiConfig(server), {
      input: [{ role: 'user', content: 'from items' }],
    });
    expect(response.output_text).toBe('Echo: from items');
  });

  it('503, then ok: retried', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const response = await service().resilientResponse(openaiConfig(server), request());
    expect(response.output_text).toBe(`Echo: ${PROMPT}`);
    expect(faultsSeen(server)).toEqual(['503', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      expect.objectContaining({ attempt: 1, kind: 'server', status: 503 }),
    ]);
  });

  it("status 'failed' with server_error (response-failed:0): retried like response.failed", async () => {
    const server = await env.startServer({ script: ['response-failed:0', 'ok'] });
    const response = await service().resilientResponse(openaiConfig(server), request());
    expect(response.status).toBe('completed');
    expect(faultsSeen(server)).toEqual(['response-failed:0', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      expect.objectContaining({ attempt: 1, error_type: 'StreamEventError', kind: 'server' }),
    ]);
  });

  it("status 'failed' with insufficient_quota: not retried, AgentExecutionError quota_exhausted", async () => {
    const server = await env.startServer({ script: ['response-failed:0:insufficient_quota', 'ok'] });
    const error = await agentFailure(service().resilientResponse(openaiConfig(server), request()));
    expect(server.requests).toHaveLength(1);
    expect(error.kind).toBe('quota_exhausted');
    expect(error.attempts).toBe(1);
    expect(isStreamEventError(error.originalError)).toBe(true);
    expect(error.originalError).toMatchObject({ event: 'response.failed', code: 'insufficient_quota' });
    expect((error.originalError as { responseId?: string }).responseId).toMatch(/^resp_/);
  });

  it('quota on the primary (429-quota and a failed body): falls back to the next config', async () => {
    for (const fault of ['429-quota', 'response-failed:0:insufficient_quota']) {
      const server = await env.startServer({ script: [fault, 'ok'] });
      const config = openaiConfig(server, { name: 'primary', fallbacks: [{ model: 'gpt-4o', name: 'backup' }] });
      const tracer = env.tracer;
      tracer.events.length = 0;
      const response = await service().resilientResponse(config, request());
      expect(response.output_text).toBe(`Echo: ${PROMPT}`);
      expect(server.requests.map((r) => (r.body as { model: string }).model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
      expect(tracer.named('fallback_used')).toEqual([{ from: 'primary', to: 'backup', reason: 'quota_exhausted' }]);
    }
  });

  it('an answer stopped by the content filter (incomplete:content_filter) is content_filter, not retried', async () => {
    const server = await env.startServer({ script: ['incomplete:content_filter', 'ok'] });
    const error = await agentFailure(service().resilientResponse(openaiConfig(server), request()));
    expect(error.kind).toBe('content_filter');
    expect(server.requests).toHaveLength(1);
  });

  it('an answer cut by max_output_tokens is an answer (status incomplete)', async () => {
    const server = await env.startServer({ script: ['incomplete:max_output_tokens'] });
    const response = await service().resilientResponse(openaiConfig(server), request());
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details?.reason).toBe('max_output_tokens');
  });

  it('Azure: posts to /openai/responses with the deployment as the model', async () => {
    const server = await env.startServer({ script: ['500', 'ok'] });
    const response = await service().resilientResponse(azureConfig(server), request());
    expect(response.output_text).toBe(`Echo: ${PROMPT}`);
    expect(server.requests.map((r) => [r.provider, r.api, r.path, (r.body as { model: string }).model])).toEqual([
      ['azure', 'responses', '/openai/responses', 'gpt-4o'],
      ['azure', 'responses', '/openai/responses', 'gpt-4o'],
    ]);
  });
});

describe('resilientResponseStream before the commit point', () => {
  it('ok: every event once, in order, the text of the echo', async () => {
    const server = await env.startServer();
    const { items, error } = await drain(service().resilientResponseStream(openaiConfig(server), request()));
    expect(error).toBeUndefined();
    expect(textOf(items)).toBe(`Echo: ${PROMPT}`);
    expect(typesOf(items)[0]).toBe('response.created');
    expect(typesOf(items).at(-1)).toBe('response.completed');
    expect(sequenceOf(items)).toEqual(items.map((_, index) => index));
    expect(server.requests[0].body).toMatchObject({ model: 'gpt-4o-mini', input: PROMPT, stream: true });
    expect(env.tracer.names()).toEqual(['retry_attempt_start', 'llm_call_success']);
  });

  it.each([
    ['response-failed:0', 'server'],
    ['error-event:0', 'server'],
    ['stream-cut:0', 'network'],
    ['503', 'server'],
  ])('%s: retried; the caller sees one response.created and the whole text', async (fault, kind) => {
    const server = await env.startServer({ script: [fault, 'ok'] });
    const { items, error } = await drain(service().resilientResponseStream(openaiConfig(server), request()));
    expect(error).toBeUndefined();
    expect(faultsSeen(server)).toEqual([fault, 'ok']);
    expect(typesOf(items).filter((type) => type === 'response.created')).toHaveLength(1);
    expect(textOf(items)).toBe(`Echo: ${PROMPT}`);
    expect(sequenceOf(items)).toEqual(items.map((_, index) => index));
    expect(env.tracer.named('retry_attempt_failed')).toEqual([expect.objectContaining({ attempt: 1, kind })]);
  });

  it('stall-first beyond firstItemTimeoutMs: the attempt is stopped and retried', async () => {
    const server = await env.startServer({ script: ['stall-first:5000', 'ok'] });
    const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, firstItemTimeoutMs: 150 } });
    const { items, error } = await drain(service().resilientResponseStream(config, request()));
    expect(error).toBeUndefined();
    expect(faultsSeen(server)).toEqual(['stall-first:5000', 'ok']);
    expect(typesOf(items).filter((type) => type === 'response.created')).toHaveLength(1);
    expect(textOf(items)).toBe(`Echo: ${PROMPT}`);
  });

  it('quota-stream: quota_exhausted, not retried, falls back to the next config', async () => {
    const server = await env.startServer({ script: ['quota-stream', 'ok'] });
    const config = openaiConfig(server, { name: 'primary', fallbacks: [{ model: 'gpt-4o', name: 'backup' }] });
    const { items, error } = await drain(service().resilientResponseStream(config, request()));
    expect(error).toBeUndefined();
    expect(textOf(items)).toBe(`Echo: ${PROMPT}`);
    expect(typesOf(items).filter((type) => type === 'response.created')).toHaveLength(1);
    expect(server.requests.map((r) => (r.body as { model: string }).model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(env.tracer.named('fallback_used')).toEqual([{ from: 'primary', to: 'backup', reason: 'quota_exhausted' }]);
  });

  it('quota-stream without a fallback: AgentExecutionError quota_exhausted after 1 attempt', async () => {
    const server = await env.startServer({ script: ['quota-stream', 'ok'] });
    const { items, error } = await drain(service().resilientResponseStream(openaiConfig(server), request()));
    expect(items).toEqual([]);
    expect(error).toBeInstanceOf(AgentExecutionError);
    expect(error).toMatchObject({ kind: 'quota_exhausted', attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('Azure: a stream over AzureOpenAI, retried after a 500', async () => {
    const server = await env.startServer({ script: ['500', 'ok'] });
    const { items, error } = await drain(service().resilientResponseStream(azureConfig(server), request()));
    expect(error).toBeUndefined();
    expect(textOf(items)).toBe(`Echo: ${PROMPT}`);
    expect(server.requests.map((r) => r.path)).toEqual(['/openai/responses', '/openai/responses']);
  });
});

describe('resilientResponseStream after the commit point', () => {
  it('stream-cut:N: StreamInterruptedError with what the caller got, no retry and no fallback', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', 'ok'] });
    const config = openaiConfig(server, { fallbacks: [{ model: 'gpt-4o' }] });
    const { items, error } = await drain(service().resilientResponseStream(config, request()));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(server.requests).toHaveLength(1);
    expect(items.filter((event) => event.type === 'response.output_text.delta')).toHaveLength(2);
    expect(`Echo: ${PROMPT}`.startsWith(textOf(items))).toBe(true);
    expect(error.partialText).toBe(textOf(items));
    expect(error.itemsReceived).toBe(items.length);
    expect(error.responseId).toMatch(/^resp_/);
    expect(error.sequenceNumber).toBe(items.at(-1)!.sequence_number);
    expect(env.tracer.named('fallback_used')).toEqual([]);
  });

  it('background without resume: still a StreamInterruptedError', async () => {
    const server = await env.startServer({ script: ['stream-cut:2'] });
    const { error } = await drain(
      service().resilientResponseStream(openaiConfig(server), request({ background: true })),
    );
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(server.requests.map((r) => r.api)).toEqual(['responses']);
  });

  it('resume without background: still a StreamInterruptedError (nothing to re-attach to)', async () => {
    const server = await env.startServer({ script: ['stream-cut:2'] });
    const { error } = await drain(service({ resume: true }).resilientResponseStream(openaiConfig(server), request()));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(server.requests.map((r) => r.api)).toEqual(['responses']);
  });

  it('background + resume: re-attaches with starting_after; every sequence_number once, in order', async () => {
    const server = await env.startServer({ script: ['stream-cut:3', 'ok'] });
    const { items, error } = await drain(
      service({ resume: true }).resilientResponseStream(openaiConfig(server), request({ background: true })),
    );
    expectWholeEcho(items, error);
    expect(typesOf(items).at(-1)).toBe('response.completed');
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'retrieve']);
    const [created, retrieve] = server.requests;
    expect(created.body).toMatchObject({ background: true, stream: true });
    const cutAt = items.findIndex((event) => event.type === 'response.output_text.delta') + 2;
    expect(retrieve.method).toBe('GET');
    expect(retrieve.responseId).toBe((items[0] as { response: { id: string } }).response.id);
    expect(retrieve.query).toMatchObject({ stream: 'true', starting_after: String(cutAt) });
  });

  it('a re-attach that fails (503) is retried under the same policy', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', '503', 'ok'] });
    const { items, error } = await drain(
      service({ resume: true }).resilientResponseStream(openaiConfig(server), request({ background: true })),
    );
    expectWholeEcho(items, error);
    expect(server.requests.map((r) => [r.api, r.fault])).toEqual([
      ['responses', 'stream-cut:2'],
      ['retrieve', '503'],
      ['retrieve', 'ok'],
    ]);
    expect(server.requests[1].query.starting_after).toBe(server.requests[2].query.starting_after);
  });

  it('re-attaches that fail on every attempt: StreamInterruptedError once attempts run out', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', '503', '503', 'ok'] });
    const { items, error } = await drain(
      service({ resume: true }).resilientResponseStream(openaiConfig(server), request({ background: true })),
    );
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.partialText).toBe(textOf(items));
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'retrieve', 'retrieve']);
  });

  it('Azure: re-attaches through /openai/responses/:id', async () => {
    const server = await env.startServer({ script: ['stream-cut:3', 'ok'] });
    const { items, error } = await drain(
      service({ resume: true }).resilientResponseStream(azureConfig(server), request({ background: true })),
    );
    expect(error).toBeUndefined();
    expect(sequenceOf(items)).toEqual(items.map((_, index) => index));
    expect(server.requests.map((r) => [r.provider, r.api])).toEqual([
      ['azure', 'responses'],
      ['azure', 'retrieve'],
    ]);
    expect(server.requests[1].path).toMatch(/^\/openai\/responses\/resp_/);
  });

  it('an idle stream (stall:N:MS beyond idleTimeoutMs) re-attaches too', async () => {
    const server = await env.startServer({ script: ['stall:2:5000', 'ok'] });
    const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, idleTimeoutMs: 150 } });
    const { items, error } = await drain(
      service({ resume: true }).resilientResponseStream(config, request({ background: true })),
    );
    expectWholeEcho(items, error);
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'retrieve']);
    expect(env.tracer.names()).toEqual(RETRIED_ONCE_THEN_SUCCESS);
  });

  it('per-request resume wins over the service option', async () => {
    const server = await env.startServer({ script: ['stream-cut:3', 'ok'] });
    const { items, error } = await drain(
      service().resilientResponseStream(openaiConfig(server), request({ background: true, resume: true })),
    );
    expect(error).toBeUndefined();
    expect(textOf(items)).toBe(`Echo: ${PROMPT}`);
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'retrieve']);
  });

  it('a resumed stream cut again re-attaches again from the new position', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', 'stream-cut:2', 'ok'] });
    const { items, error } = await drain(
      service({ resume: true }).resilientResponseStream(openaiConfig(server), request({ background: true })),
    );
    expectWholeEcho(items, error);
    const retrieves = server.requests.filter((r) => r.api === 'retrieve');
    expect(retrieves).toHaveLength(2);
    expect(Number(retrieves[1].query.starting_after)).toBeGreaterThan(Number(retrieves[0].query.starting_after));
  });

  it('a response.failed after the commit point is the response failing: StreamInterruptedError, not resumed', async () => {
    const server = await env.startServer({ script: ['response-failed:2', 'ok'] });
    const { error } = await drain(
      service({ resume: true }).resilientResponseStream(openaiConfig(server), request({ background: true })),
    );
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(className(error.cause)).toBe('StreamEventError');
    expect(server.requests).toHaveLength(1);
  });
});

describe('options', () => {
  it('rejects a resume option that is no boolean', () => {
    expect(() => new ResilientLLMService({ resume: 'yes' as unknown as boolean })).toThrow(
      'ResilientLLMService: resume must be a boolean',
    );
  });

  it('an aborted signal ends the stream with AgentExecutionError kind aborted', async () => {
    const server = await env.startServer({ script: ['stall-first:5000'] });
    const controller = new AbortController();
    const stream = service().resilientResponseStream(openaiConfig(server), request({ signal: controller.signal }));
    const pending = drain(stream);
    await new Promise<void>((resolve) => {
      const check = () => (server.requests.length > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    controller.abort();
    const { error } = await pending;
    expect(error).toBeInstanceOf(AgentExecutionError);
    expect(error.kind).toBe('aborted');
  });
});
