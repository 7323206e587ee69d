/**
 * The stream faults added with the Responses API, on chat completions, as the real `openai`
 * SDK sees them: an error chunk mid-stream (what OpenAI sends when a chat stream fails), a
 * finish_reason of `length` / `content_filter`, a quota error as the first event, stalls.
 */
import OpenAI, { APIError, InternalServerError, RateLimitError } from 'openai';

import { type FaultSpec } from '../../src/testing';
import { useFaultServerClients, failure } from './sdk-clients';

const faults = useFaultServerClients();
const { start, openai } = faults;

const MESSAGE = 'What is the capital of France';
const PARAMS = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: MESSAGE }] };
const PIECES = ['Echo:', ' What', ' is', ' the', ' capital', ' of', ' France'];

async function drain(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: undefined as any };
  } catch (error) {
    return { chunks, error: error as any };
  }
}

const contentsOf = (chunks: OpenAI.Chat.ChatCompletionChunk[]) =>
  chunks.map((chunk) => chunk.choices[0]?.delta.content).filter(Boolean);

describe('chat streams', () => {
  test.each([
    ['error-event:2', 2, 'server_error'],
    ['response-failed:3', 3, 'server_error'],
    ['response-failed:1:overloaded', 1, 'overloaded'],
  ])('%s: an error chunk after the content chunks -> APIError without a status', async (spec, n, code) => {
    await start({ script: [spec as FaultSpec] });
    const { chunks, error } = await drain(await openai().chat.completions.create({ ...PARAMS, stream: true }));
    expect(contentsOf(chunks)).toEqual(PIECES.slice(0, n));
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBeUndefined();
    expect(error.code).toBe(code);
  });

  test('error-event on the wire: data with an error object, then the stream ends', async () => {
    await start({ script: ['error-event:0'] });
    const response = await fetch(`${faults.server.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...PARAMS, stream: true }),
    });
    const blocks = (await response.text()).trim().split('\n\n');
    expect(blocks).toHaveLength(2);
    expect(JSON.parse(blocks[1].slice('data: '.length))).toEqual({
      error: { message: expect.any(String), type: 'server_error', param: null, code: 'server_error' },
    });
  });

  test.each([
    ['max_output_tokens', 'length'],
    ['content_filter', 'content_filter'],
  ])('incomplete:%s: half the content, then finish_reason %s', async (reason, finish) => {
    await start({ script: [`incomplete:${reason}`, `incomplete:${reason}`] });
    const { chunks, error } = await drain(await openai().chat.completions.create({ ...PARAMS, stream: true }));
    expect(error).toBeUndefined();
    expect(contentsOf(chunks)).toEqual(PIECES.slice(0, 4));
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe(finish);
    const completion = await openai().chat.completions.create(PARAMS);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: finish,
      message: { content: 'Echo: What is the' },
    });
  });

  test('quota-stream: 200, then insufficient_quota as the first event; plain requests get a 429', async () => {
    await start({ script: ['quota-stream', 'quota-stream'] });
    const { data, response } = await openai()
      .chat.completions.create({ ...PARAMS, stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    const { chunks, error } = await drain(data);
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(await failure(openai().chat.completions.create(PARAMS))).toMatchObject({
      status: 429,
      code: 'insufficient_quota',
    });
  });

  test('response-failed and error-event on a plain request: a 500 carrying the code', async () => {
    await start({ script: ['response-failed:0:boom', 'error-event:0'] });
    const failed = await failure(openai().chat.completions.create(PARAMS));
    expect(failed).toBeInstanceOf(InternalServerError);
    expect(failed.code).toBe('boom');
    expect((await failure(openai().chat.completions.create(PARAMS))).status).toBe(500);
  });

  test('stall:N:MS and stall-first:MS deliver the whole stream after the pause', async () => {
    await start({ script: ['stall:3:20', 'stall-first:20', 'stall:99:10'] });
    for (let i = 0; i < 3; i++) {
      const { chunks, error } = await drain(await openai().chat.completions.create({ ...PARAMS, stream: true }));
      expect(error).toBeUndefined();
      expect(contentsOf(chunks).join('')).toBe(`Echo: ${MESSAGE}`);
      expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    }
  });

  test('stall:N:MS: a client waiting through the silence can abort it', async () => {
    await start({ script: ['stall:2:60000'] });
    const controller = new AbortController();
    const stream = await openai().chat.completions.create({ ...PARAMS, stream: true }, { signal: controller.signal });
    const seen: string[] = [];
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) seen.push(content);
      if (seen.length === 2) controller.abort();
    }
    expect(seen).toEqual(PIECES.slice(0, 2));
  });

  test('stall-first and stall on plain requests: the whole JSON after the pause', async () => {
    await start({ script: ['stall-first:20', 'stall:0:20'] });
    for (let i = 0; i < 2; i++) {
      const completion = await openai().chat.completions.create(PARAMS);
      expect(completion.choices[0].message.content).toBe(`Echo: ${MESSAGE}`);
    }
  });

  test('stall-first: the status and headers arrive before the body', async () => {
    await start({ script: ['stall-first:60000'] });
    const controller = new AbortController();
    const response = await fetch(`${faults.server.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify(PARAMS),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    controller.abort();
  });

  test('quota-stream on embeddings is a 429 (there is no stream)', async () => {
    await start({ script: ['quota-stream'] });
    expect(await failure(openai().embeddings.create({ model: 'm', input: 'x' }))).toBeInstanceOf(RateLimitError);
  });
});
