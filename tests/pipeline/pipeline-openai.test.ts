/**
 * createResiliencePipeline end to end: the real `openai` client (maxRetries: 0) against a
 * scripted 127.0.0.1 server, without a decorator in sight. Sockets are real; the retry sleeps
 * run on jest's fake clock.
 */
import OpenAI from 'openai';
import { createResiliencePipeline, TRACE_EVENTS } from '../../src';
import { reply, scripted, type LoopbackReply } from '../support/loopback-server';
import { chatCompletion, drive, errorBody, settleIo, until, useHarness, useServers } from '../integration/harness';

const h = useHarness();
const serve = useServers();

function client(baseURL: string): OpenAI {
  return new OpenAI({ apiKey: 'sk-test-pipeline', baseURL: `${baseURL}/v1`, maxRetries: 0 });
}

const body = (question: string) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: question }] });

/** A server-sent-events body of chat completion chunks, as `stream: true` gets it. */
function sse(pieces: string[]): string {
  const chunks = pieces.map((content) =>
    JSON.stringify({
      id: 'chatcmpl-stream',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: { content }, finish_reason: null }],
    }),
  );
  return chunks.map((chunk) => `data: ${chunk}\n\n`).join('') + 'data: [DONE]\n\n';
}
const streamed = (pieces: string[]): LoopbackReply => ({
  kind: 'respond',
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  body: sse(pieces),
});

describe('a pipeline around the real OpenAI client', () => {
  it('waits out a 429 (retry-after-ms) and returns the completion; the log names the pipeline', async () => {
    const srv = await serve(
      scripted([
        reply.json(429, errorBody('Rate limit reached', { code: 'rate_limit_exceeded' }), {
          'retry-after-ms': '1000',
          'x-request-id': 'req_pipeline_429',
        }),
        reply.json(200, chatCompletion('pong')),
      ]),
    );
    const openai = client(srv.url);
    const chat = createResiliencePipeline({ name: 'chat', provider: 'openai' });

    const completion = await drive(
      h,
      chat.execute(({ signal }) => openai.chat.completions.create(body('ping'), { signal })),
    );

    expect(completion.choices[0].message.content).toBe('pong');
    expect(srv.requests).toHaveLength(2);
    expect(h.retries()).toEqual([
      expect.objectContaining({
        method: 'chat',
        attempt: 1,
        maxAttempts: 3,
        status: 429,
        kind: 'rate_limit',
        requestId: 'req_pipeline_429',
        errorType: 'RateLimitError',
      }),
    ]);
    expect(h.retries()[0].message).toMatch(/^Retrying chat in /);
  });

  it('does not retry a 401 from the API', async () => {
    const srv = await serve(reply.json(401, errorBody('Incorrect API key provided', { code: 'invalid_api_key' })));
    const chat = createResiliencePipeline({ name: 'chat', provider: 'openai' });
    const openai = client(srv.url);
    const error = await drive(
      h,
      chat.execute(() => openai.chat.completions.create(body('hi'))).catch((failure: unknown) => failure),
    );
    expect((error as { status?: number }).status).toBe(401);
    expect(srv.requests).toHaveLength(1);
    expect(h.retries()).toHaveLength(0);
  });

  it('streams: a 503 before the stream starts is retried, the caller gets every piece once', async () => {
    const srv = await serve(scripted([reply.json(503, errorBody('overloaded')), streamed(['Hel', 'lo', '!'])]));
    const openai = client(srv.url);
    const chat = createResiliencePipeline({ name: 'chat-stream', provider: 'openai' });

    const pieces: string[] = [];
    const collect = async () => {
      const stream = chat.stream(async function* ({ signal }) {
        const chunks = await openai.chat.completions.create({ ...body('hi'), stream: true }, { signal });
        for await (const chunk of chunks) {
          const piece = chunk.choices[0]?.delta?.content;
          if (piece) yield piece;
        }
      });
      for await (const piece of stream) pieces.push(piece);
    };
    await drive(h, collect());

    expect(pieces).toEqual(['Hel', 'lo', '!']);
    expect(srv.requests).toHaveLength(2);
    expect(h.eventsNamed(TRACE_EVENTS.attemptStart)).toHaveLength(2);
  });

  it("the caller's abort while a request is in flight rejects at once and closes the socket", async () => {
    const srv = await serve(scripted([reply.hang()]));
    const openai = client(srv.url);
    const chat = createResiliencePipeline({ name: 'chat', provider: 'openai' });
    const controller = new AbortController();

    const call = chat.execute(({ signal }) => openai.chat.completions.create(body('hi'), { signal }), {
      signal: controller.signal,
    });
    const settled = expect(call).rejects.toBe('user cancelled');
    await until(() => srv.requests.length === 1, 'the first request');
    controller.abort('user cancelled');
    await settled;
    await until(() => srv.requests[0].closedBeforeReply, 'the server to see the socket close');
    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
  });
});
