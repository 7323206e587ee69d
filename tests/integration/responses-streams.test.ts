/**
 * Issue #13: the commit point of streams, with the real `openai` SDK (`OpenAI` and
 * `AzureOpenAI`) streaming Responses API events and chat chunks from the fault server: a
 * failure before the first content delta is retried and the caller sees one stream (one
 * `response.created`); after it, a StreamInterruptedError, or a seamless re-attach of a
 * background response (`responses.retrieve(id, { stream: true, starting_after })`).
 * Real timers; `random: () => 0` makes every backoff 0 ms.
 */
import OpenAI, { AzureOpenAI } from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import {
  classifyError,
  configureResilience,
  createResiliencePipeline,
  getRetryContext,
  isStreamInterruptedError,
  RetryAzure,
  RetryOpenAI,
  TRACE_EVENTS,
} from '../../src';
import type { FaultServer } from '../../src/testing';
import { AZURE_API_VERSION, AZURE_KEY, drain, FAST_RETRY, OPENAI_KEY, useLLMTestEnvironment } from '../llm/helpers';

const env = useLLMTestEnvironment();
beforeEach(() => configureResilience({ tracer: env.tracer }));

const QUESTION = 'one two three';
const body = { model: 'gpt-4o-mini', input: QUESTION, stream: true as const };

const openaiFor = (server: FaultServer) =>
  new OpenAI({ apiKey: OPENAI_KEY, baseURL: server.openaiBaseURL, maxRetries: 0 });
const azureFor = (server: FaultServer) =>
  new AzureOpenAI({ apiKey: AZURE_KEY, endpoint: server.url, apiVersion: AZURE_API_VERSION, maxRetries: 0 });

class Assistant {
  constructor(private readonly client: OpenAI) {}

  /** The SDK's raw event stream, as is: the decorator holds lifecycle events back. */
  @RetryOpenAI({ ...FAST_RETRY, firstItemTimeoutMs: 300 })
  async *events(): AsyncGenerator<ResponseStreamEvent> {
    yield* await this.client.responses.create(body, { signal: getRetryContext()!.signal });
  }

  /** The `responses.stream()` helper's events. */
  @RetryAzure({ ...FAST_RETRY })
  async *helperEvents(): AsyncGenerator<ResponseStreamEvent> {
    yield* this.client.responses.stream({ model: 'gpt-4o', input: QUESTION }, { signal: getRetryContext()!.signal });
  }
}

const typesOf = (events: ResponseStreamEvent[]) => events.map((event) => event.type);
const textOf = (events: ResponseStreamEvent[]) =>
  events.map((event) => (event.type === 'response.output_text.delta' ? event.delta : '')).join('');
const sequenceOf = (events: ResponseStreamEvent[]) => events.map((event) => event.sequence_number);

describe('before the first content delta: classified and retried, one stream for the caller', () => {
  it.each(['response-failed:0', 'error-event:0', 'stream-cut:0', 'stall-first:5000', '503'])(
    '%s, then ok: 2 requests, one response.created, every sequence number once',
    async (fault) => {
      const server = await env.startServer({ script: [fault, 'ok'] });
      const { items, error } = await drain(new Assistant(openaiFor(server)).events());
      expect(error).toBeUndefined();
      expect(server.requests).toHaveLength(2);
      expect(typesOf(items).filter((type) => type === 'response.created')).toHaveLength(1);
      expect(sequenceOf(items)).toEqual(items.map((_, index) => index));
      expect(textOf(items)).toBe(`Echo: ${QUESTION}`);
      expect(typesOf(items).at(-1)).toBe('response.completed');
    },
  );

  it('quota-stream (a 200 whose first event is insufficient_quota): not retried, quota_exhausted', async () => {
    const server = await env.startServer({ script: ['quota-stream', 'ok'] });
    const { items, error } = await drain(new Assistant(openaiFor(server)).events());
    expect(items).toEqual([]);
    expect(classifyError(error)).toMatchObject({ kind: 'quota_exhausted', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('response-failed:0:insufficient_quota is not retried either', async () => {
    const server = await env.startServer({ script: ['response-failed:0:insufficient_quota', 'ok'] });
    const { items, error } = await drain(new Assistant(openaiFor(server)).events());
    expect(items).toEqual([]);
    expect(classifyError(error).kind).toBe('quota_exhausted');
    expect(server.requests).toHaveLength(1);
  });

  it('the responses.stream() helper through AzureOpenAI: retried the same way', async () => {
    const server = await env.startServer({ script: ['response-failed:0', 'ok'] });
    const { items, error } = await drain(new Assistant(azureFor(server)).helperEvents());
    expect(error).toBeUndefined();
    expect(server.requests.map((request) => request.api)).toEqual(['responses', 'responses']);
    expect(typesOf(items).filter((type) => type === 'response.created')).toHaveLength(1);
  });
});

describe('after the first content delta: StreamInterruptedError', () => {
  it.each([
    ['response-failed:2', 'server'],
    ['error-event:2', 'server'],
    ['stream-cut:2', 'network'],
  ])('%s: the deltas reached the caller, 1 request, kind %s', async (fault, kind) => {
    const server = await env.startServer({ script: [fault, 'ok'] });
    const { items, error } = await drain(new Assistant(openaiFor(server)).events());
    expect(server.requests).toHaveLength(1);
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ kind, itemsReceived: items.length, partialText: textOf(items) });
    expect(error.responseId).toMatch(/^resp_/);
    expect(error.sequenceNumber).toBe(items.at(-1)!.sequence_number);
    expect(textOf(items).length).toBeGreaterThan(0);
    expect(env.tracer.named(TRACE_EVENTS.notRetryable)).toEqual([
      expect.objectContaining({ attempt: 1, reason: 'stream_started' }),
    ]);
  });

  it('stall:2:MS with idleTimeoutMs: interrupted by the idle timeout, its request aborted', async () => {
    const server = await env.startServer({ script: ['stall:2:60000', 'ok'] });
    const pipeline = createResiliencePipeline({ provider: 'openai', idleTimeoutMs: 200, ...FAST_RETRY });
    const client = openaiFor(server);
    const { items, error } = await drain(pipeline.stream(({ signal }) => client.responses.create(body, { signal })));
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error.cause).toMatchObject({ name: 'StreamTimeoutError', phase: 'idle', timeoutMs: 200 });
    expect(textOf(items).length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
  });
});

describe('resume: a background response re-attached where it broke', () => {
  it.each([1, 3])(
    'stream-cut:%i then retrieve(id, { stream: true, starting_after }): every event once, in order',
    async (cutAfter) => {
      const server = await env.startServer({ script: [`stream-cut:${cutAfter}`] });
      const client = openaiFor(server);
      const pipeline = createResiliencePipeline({ name: 'background', provider: 'openai', ...FAST_RETRY });
      const { items, error } = await drain(
        pipeline.stream(({ signal }) => client.responses.create({ ...body, background: true }, { signal }), {
          resume: ({ responseId, sequenceNumber }, { signal }) =>
            client.responses.retrieve(responseId, { stream: true, starting_after: sequenceNumber }, { signal }),
        }),
      );
      expect(error).toBeUndefined();
      expect(sequenceOf(items)).toEqual(items.map((_, index) => index));
      expect(textOf(items)).toBe(`Echo: ${QUESTION}`);
      expect(typesOf(items).at(-1)).toBe('response.completed');
      const [create, retrieve] = server.requests;
      expect(server.requests.map((request) => request.api)).toEqual(['responses', 'retrieve']);
      expect(retrieve.responseId).toBe((items[0] as { response: { id: string } }).response.id);
      expect(Number(retrieve.query.starting_after)).toBe(
        items.findIndex((event) => event.type === 'response.output_text.delta') + cutAfter - 1,
      );
      expect(create.fault).toBe(`stream-cut:${cutAfter}`);
    },
  );

  it('a re-attach that fails is retried under the same policy (503, then the rest)', async () => {
    const server = await env.startServer({ script: ['stream-cut:1', '503', 'ok'] });
    const client = openaiFor(server);
    const pipeline = createResiliencePipeline({ provider: 'openai', ...FAST_RETRY });
    const { items, error } = await drain(
      pipeline.stream(({ signal }) => client.responses.create({ ...body, background: true }, { signal }), {
        resume: ({ responseId, sequenceNumber }, { signal }) =>
          client.responses.retrieve(responseId, { stream: true, starting_after: sequenceNumber }, { signal }),
      }),
    );
    expect(error).toBeUndefined();
    expect(server.requests.map((request) => request.api)).toEqual(['responses', 'retrieve', 'retrieve']);
    expect(sequenceOf(items)).toEqual(items.map((_, index) => index));
  });
});
