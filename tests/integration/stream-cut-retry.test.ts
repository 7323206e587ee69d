/**
 * Issue #12: a stream cut before its first item is retried by every decorator. The real
 * `openai` SDK streams chat chunks from the fault server, whose `stream-cut:0` sends the role
 * chunk (no content) and cuts the socket; the SDK lets undici's `TypeError: terminated`
 * (cause `UND_ERR_SOCKET`) through. Real timers; `random: () => 0` makes every backoff 0 ms.
 */
import OpenAI, { AzureOpenAI } from 'openai';
import { configureResilience, getRetryContext, RetryAzure, RetryNetwork, RetryOpenAI, TRACE_EVENTS } from '../../src';
import type { FaultServer } from '../../src/testing';
import { AZURE_API_VERSION, AZURE_KEY, drain, FAST_RETRY, OPENAI_KEY, useLLMTestEnvironment } from '../llm/helpers';

const env = useLLMTestEnvironment();
beforeEach(() => configureResilience({ tracer: env.tracer }));

const QUESTION = 'one two three';
const ANSWER = `Echo: ${QUESTION}`;

/** Yields the content pieces of a streamed chat completion (the role chunk carries none). */
async function* contentOf(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): AsyncGenerator<string> {
  for await (const chunk of stream) {
    const piece = chunk.choices[0]?.delta?.content;
    if (piece) yield piece;
  }
}

const request = (model: string) => ({
  model,
  messages: [{ role: 'user' as const, content: QUESTION }],
  stream: true as const,
});

class Chat {
  constructor(
    private readonly openai: OpenAI,
    private readonly azure: AzureOpenAI,
  ) {}

  @RetryOpenAI({ ...FAST_RETRY })
  async *viaRetryOpenAI(): AsyncGenerator<string> {
    yield* contentOf(
      await this.openai.chat.completions.create(request('gpt-4o-mini'), { signal: getRetryContext()!.signal }),
    );
  }

  @RetryAzure({ ...FAST_RETRY })
  async *viaRetryAzure(): AsyncGenerator<string> {
    yield* contentOf(
      await this.azure.chat.completions.create(request('gpt-4o'), { signal: getRetryContext()!.signal }),
    );
  }

  @RetryNetwork({ ...FAST_RETRY })
  async *viaRetryNetwork(): AsyncGenerator<string> {
    yield* contentOf(
      await this.openai.chat.completions.create(request('gpt-4o-mini'), { signal: getRetryContext()!.signal }),
    );
  }
}

function chatFor(server: FaultServer): Chat {
  return new Chat(
    new OpenAI({ apiKey: OPENAI_KEY, baseURL: server.openaiBaseURL, maxRetries: 0 }),
    new AzureOpenAI({
      apiKey: AZURE_KEY,
      endpoint: server.azureEndpoint,
      apiVersion: AZURE_API_VERSION,
      deployment: 'gpt-4o',
      maxRetries: 0,
    }),
  );
}

describe.each<[string, (chat: Chat) => AsyncGenerator<string>]>([
  ['@RetryOpenAI', (chat) => chat.viaRetryOpenAI()],
  ['@RetryAzure', (chat) => chat.viaRetryAzure()],
  ['@RetryNetwork', (chat) => chat.viaRetryNetwork()],
])('%s on an async generator streaming with the real openai SDK', (_decorator, stream) => {
  it('stream-cut:0 then ok: retried, the caller gets the whole answer once (2 requests)', async () => {
    const server = await env.startServer({ script: ['stream-cut:0', 'ok'] });
    const { items, error } = await drain(stream(chatFor(server)));

    expect(error).toBeUndefined();
    expect(items.join('')).toBe(ANSWER);
    expect(server.requests.map((r) => r.fault)).toEqual(['stream-cut:0', 'ok']);
    expect(env.tracer.named(TRACE_EVENTS.notRetryable)).toEqual([]);
    expect(env.tracer.named(TRACE_EVENTS.attemptFailed)).toEqual([
      { attempt: 1, kind: 'network', error_type: 'TypeError' },
    ]);
  });

  it('a cut after the first piece reached the caller is not retried (1 request)', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', 'ok'] });
    const { items, error } = await drain(stream(chatFor(server)));

    expect(items.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ name: 'StreamInterruptedError', kind: 'network', itemsReceived: items.length });
    expect(error.cause).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(server.requests).toHaveLength(1);
    expect(env.tracer.named(TRACE_EVENTS.notRetryable)).toEqual([
      expect.objectContaining({ attempt: 1, reason: 'stream_started' }),
    ]);
  });
});
