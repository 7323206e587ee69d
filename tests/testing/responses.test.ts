/**
 * The fault server's Responses API, driven by the real `openai` SDK (OpenAI and AzureOpenAI
 * clients, no SDK retries): JSON and streamed responses, background responses re-attached
 * with `retrieve(id, { stream: true, starting_after })`, and each stream fault as the SDK sees it.
 */
import OpenAI, { APIError, InternalServerError, RateLimitError } from 'openai';

import { type FaultSpec } from '../../src/testing';
import { AZURE_KEY, useFaultServerClients, failure } from './sdk-clients';

const faults = useFaultServerClients();
const { start, openai } = faults;
const azure = (deployment: string | undefined = 'gpt-4o') => faults.azure(deployment, '2025-04-01-preview');

const INPUT = 'What is the capital of France';
const TEXT = `Echo: ${INPUT}`;
/** The deltas of TEXT: words with their leading space. */
const DELTAS = ['Echo:', ' What', ' is', ' the', ' capital', ' of', ' France'];
const PARAMS = { model: 'gpt-4o-mini', input: INPUT };
const HEAD = ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added'];
const TAIL = ['response.output_text.done', 'response.content_part.done', 'response.output_item.done'];

/** Azure's `/openai/v1` API, as the OpenAI client reaches it. */
function azureV1(): OpenAI {
  return new OpenAI({
    apiKey: AZURE_KEY,
    baseURL: `${faults.server.azureEndpoint}/openai/v1`,
    defaultHeaders: { 'api-key': AZURE_KEY },
    maxRetries: 0,
  });
}

async function drain<T>(stream: AsyncIterable<T>): Promise<{ events: T[]; error?: any }> {
  const events: T[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const typesOf = (events: Array<{ type: string }>) => events.map((event) => event.type);
const deltasOf = (events: any[]) =>
  events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta);

describe('ok', () => {
  test('JSON: a completed response with a message item, output_text and usage', async () => {
    await start();
    const { data, request_id } = await openai().responses.create(PARAMS).withResponse();
    expect(data).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gpt-4o-mini',
      error: null,
      incomplete_details: null,
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: TEXT, annotations: [] }],
        },
      ],
      usage: { input_tokens: expect.any(Number), output_tokens: DELTAS.length, total_tokens: expect.any(Number) },
    });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text).toBe(TEXT);
    expect(request_id).toBe('req_1');
    expect(faults.server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/responses',
      api: 'responses',
      fault: 'ok',
    });
  });

  test('input as a message list (string and input_text parts); text.format json_schema', async () => {
    await start();
    const client = openai();
    const listed = await client.responses.create({
      model: 'm',
      input: [
        { role: 'user', content: 'first' },
        { role: 'user', content: [{ type: 'input_text', text: 'second' }] },
      ],
    });
    expect(listed.output_text).toBe('Echo: second');
    const structured = await client.responses.create({
      model: 'm',
      input: 'x',
      text: {
        format: {
          type: 'json_schema',
          name: 'city',
          strict: true,
          schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
      },
    });
    expect(JSON.parse(structured.output_text)).toEqual({ name: 'example' });
  });

  test('stream: the real event sequence with sequence_numbers 0, 1, 2, ...', async () => {
    await start();
    const { events, error } = await drain(await openai().responses.create({ ...PARAMS, stream: true }));
    expect(error).toBeUndefined();
    expect(typesOf(events)).toEqual([
      ...HEAD,
      ...DELTAS.map(() => 'response.output_text.delta'),
      ...TAIL,
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    expect(deltasOf(events)).toEqual(DELTAS);
    const last = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(last.response).toMatchObject({ status: 'completed', output: [{ content: [{ text: TEXT }] }] });
    expect(events[0]).toMatchObject({ response: { status: 'in_progress', output: [], usage: null } });
  });

  test('the SSE text has an event: line naming the type of its data', async () => {
    await start();
    const response = await fetch(`${faults.server.openaiBaseURL}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...PARAMS, stream: true }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const blocks = (await response.text()).trim().split('\n\n');
    expect(blocks).toHaveLength(HEAD.length + DELTAS.length + TAIL.length + 1);
    for (const block of blocks) {
      const [eventLine, dataLine] = block.split('\n');
      const data = JSON.parse(dataLine.replace(/^data: /, ''));
      expect(eventLine).toBe(`event: ${data.type}`);
    }
  });

  test('responses.stream(): finalResponse() is the completed response', async () => {
    await start();
    const stream = openai().responses.stream(PARAMS);
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(final).toMatchObject({ status: 'completed', output_text: TEXT });
    expect(deltas).toEqual(DELTAS);
  });

  test.each([
    ['AzureOpenAI with a deployment', () => azure('gpt-4o'), '/openai/responses'],
    ['AzureOpenAI without one', () => azure(undefined), '/openai/responses'],
    ['OpenAI on /openai/v1', () => azureV1(), '/openai/v1/responses'],
  ])('%s', async (_name, client, path) => {
    await start();
    const created = await client().responses.create({ ...PARAMS, model: 'gpt-4o' });
    expect(created.output_text).toBe(TEXT);
    const { events } = await drain(await client().responses.create({ ...PARAMS, model: 'gpt-4o', stream: true }));
    expect(deltasOf(events).join('')).toBe(TEXT);
    expect(faults.server.requests[0]).toMatchObject({ path, provider: 'azure', api: 'responses' });
    expect(faults.server.requests[0].headers['api-key']).toBe(AZURE_KEY);
  });
});

describe('background responses and retrieve', () => {
  test('JSON: answered queued, then retrieve returns the completed response', async () => {
    await start();
    const client = openai();
    const queued = await client.responses.create({ ...PARAMS, background: true });
    expect(queued).toMatchObject({ status: 'queued', background: true, output: [] });
    const retrieved = await client.responses.retrieve(queued.id);
    expect(retrieved).toMatchObject({ id: queued.id, status: 'completed', background: true, output_text: TEXT });
    expect(faults.server.requests[1]).toMatchObject({
      method: 'GET',
      path: `/v1/responses/${queued.id}`,
      api: 'retrieve',
      responseId: queued.id,
    });
  });

  test.each([0, 3, 6])(
    'stream-cut:%i, then retrieve(id, { stream, starting_after }) gives exactly the missing events',
    async (n) => {
      await start({ script: [`stream-cut:${n}` as FaultSpec] });
      const client = openai();
      const first = await drain(await client.responses.create({ ...PARAMS, background: true, stream: true }));
      expect(first.error.message).toBe('terminated');
      expect(typesOf(first.events)).toEqual([...HEAD, ...DELTAS.slice(0, n).map(() => 'response.output_text.delta')]);
      const id = (first.events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      const lastSeen = first.events.at(-1)!.sequence_number;

      const rest = await drain(await client.responses.retrieve(id, { stream: true, starting_after: lastSeen }));
      expect(rest.error).toBeUndefined();
      expect(rest.events.map((event) => event.sequence_number)).toEqual(
        Array.from({ length: rest.events.length }, (_v, i) => lastSeen + 1 + i),
      );
      const all = [...first.events, ...rest.events];
      expect(typesOf(all)).toEqual([
        ...HEAD,
        ...DELTAS.map(() => 'response.output_text.delta'),
        ...TAIL,
        'response.completed',
      ]);
      expect(deltasOf(all).join('')).toBe(TEXT);
      expect(faults.server.requests[1].query).toEqual({ stream: 'true', starting_after: String(lastSeen) });
    },
  );

  test('AzureOpenAI re-attaches on /openai/responses/{id}', async () => {
    await start({ script: ['stream-cut:2'] });
    const client = azure();
    const first = await drain(await client.responses.create({ ...PARAMS, background: true, stream: true }));
    const id = (first.events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const lastSeen = first.events.at(-1)!.sequence_number;
    const rest = await drain(await client.responses.retrieve(id, { stream: true, starting_after: lastSeen }));
    expect(deltasOf([...first.events, ...rest.events]).join('')).toBe(TEXT);
    expect(faults.server.requests[1]).toMatchObject({
      path: `/openai/responses/${id}`,
      api: 'retrieve',
      provider: 'azure',
    });
  });

  test('responses.stream({ response_id }) replays the whole stream into a final response', async () => {
    await start({ script: ['stream-cut:1'] });
    const client = openai();
    const first = await drain(await client.responses.create({ ...PARAMS, background: true, stream: true }));
    const id = (first.events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const final = await client.responses.stream({ response_id: id }).finalResponse();
    expect(final).toMatchObject({ id, status: 'completed', output_text: TEXT });
  });

  test('an unknown id is a 404 recorded as not-found, without a script entry', async () => {
    await start({ script: ['503'] });
    const error = await failure(openai().responses.retrieve('resp_nope'));
    expect(error).toMatchObject({ status: 404 });
    expect(error.message).toContain("Response with id 'resp_nope' not found.");
    expect(faults.server.requests[0]).toMatchObject({ api: 'retrieve', fault: 'not-found' });
    expect((await failure(openai().responses.create(PARAMS))).status).toBe(503);
  });

  test('a response that was not in the background is not kept', async () => {
    await start();
    const created = await openai().responses.create(PARAMS);
    expect((await failure(openai().responses.retrieve(created.id))).status).toBe(404);
  });

  test('starting_after that is no integer is a 400 recorded as invalid-request', async () => {
    await start();
    const { id } = await openai().responses.create({ ...PARAMS, background: true });
    const response = await fetch(`${faults.server.openaiBaseURL}/responses/${id}?stream=true&starting_after=x`);
    expect(response.status).toBe(400);
    expect(faults.server.requests[1].fault).toBe('invalid-request');
  });

  test('faults apply to retrieve too', async () => {
    await start({ script: ['ok', '429'] });
    const { id } = await openai().responses.create({ ...PARAMS, background: true });
    expect(await failure(openai().responses.retrieve(id))).toBeInstanceOf(RateLimitError);
    expect((await openai().responses.retrieve(id)).status).toBe('completed');
  });
});

describe('stream faults on Responses', () => {
  test.each([0, 2])('response-failed:%i: a response.failed event (the SDK does not throw)', async (n) => {
    await start({ script: [`response-failed:${n}` as FaultSpec] });
    const { events, error } = await drain(await openai().responses.create({ ...PARAMS, stream: true }));
    expect(error).toBeUndefined();
    expect(typesOf(events)).toEqual([
      ...HEAD,
      ...DELTAS.slice(0, n).map(() => 'response.output_text.delta'),
      'response.failed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    const failed = events.at(-1) as OpenAI.Responses.ResponseFailedEvent;
    expect(failed.response).toMatchObject({ status: 'failed', error: { code: 'server_error' } });
    expect(failed.response.error!.message).toEqual(expect.any(String));
  });

  test('response-failed:N:code sets the code; finalResponse() is the failed response', async () => {
    await start({ script: ['response-failed:1:rate_limit_exceeded'] });
    const final = await openai().responses.stream(PARAMS).finalResponse();
    expect(final).toMatchObject({ status: 'failed', error: { code: 'rate_limit_exceeded' }, output_text: 'Echo:' });
  });

  test('response-failed on a JSON request: 200 with status failed and the error', async () => {
    await start({ script: ['response-failed:0:vector_store_timeout'] });
    const response = await openai().responses.create(PARAMS);
    expect(response).toMatchObject({ status: 'failed', error: { code: 'vector_store_timeout' }, output: [] });
  });

  test('error-event:2: an error event after 2 deltas; the SDK throws an APIError', async () => {
    await start({ script: ['error-event:2'] });
    const { events, error } = await drain(await openai().responses.create({ ...PARAMS, stream: true }));
    expect(deltasOf(events)).toEqual(DELTAS.slice(0, 2));
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBeUndefined();
    expect(error.code).toBe('server_error');
  });

  test('error-event: the SSE data has type, code, message and sequence_number', async () => {
    await start({ script: ['error-event:1'] });
    const response = await fetch(`${faults.server.openaiBaseURL}/responses`, {
      method: 'POST',
      body: JSON.stringify({ ...PARAMS, stream: true }),
    });
    const blocks = (await response.text()).trim().split('\n\n');
    const last = blocks.at(-1)!.split('\n');
    expect(last[0]).toBe('event: error');
    expect(JSON.parse(last[1].slice('data: '.length))).toMatchObject({
      type: 'error',
      code: 'server_error',
      message: expect.any(String),
      sequence_number: HEAD.length + 1,
    });
  });

  test.each(['max_output_tokens', 'content_filter'] as const)(
    'incomplete:%s: ends with response.incomplete and incomplete_details',
    async (reason) => {
      await start({ script: [`incomplete:${reason}`, `incomplete:${reason}`] });
      const { events } = await drain(await openai().responses.create({ ...PARAMS, stream: true }));
      const last = events.at(-1) as OpenAI.Responses.ResponseIncompleteEvent;
      expect(last.type).toBe('response.incomplete');
      expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason } });
      expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
      expect(deltasOf(events)).toEqual(DELTAS.slice(0, 4));
      const json = await openai().responses.create(PARAMS);
      expect(json).toMatchObject({
        status: 'incomplete',
        incomplete_details: { reason },
        output_text: 'Echo: What is the',
      });
    },
  );

  test('quota-stream: 200 SSE, then insufficient_quota as the first event', async () => {
    await start({ script: ['quota-stream'] });
    const { data: stream, response } = await openai()
      .responses.create({ ...PARAMS, stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    const { events, error } = await drain(stream);
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
  });

  test('stall-first:MS: headers at once, then the whole stream after the silence', async () => {
    await start({ script: ['stall-first:60000'] });
    const client = openai({ timeout: 100_000 });
    const controller = new AbortController();
    // The SDK resolves once headers are in: the stall is after them.
    const stream = await client.responses.create({ ...PARAMS, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    controller.abort();
    expect((await next).done).toBe(true);
    await start({ script: ['stall-first:30'] });
    const { events } = await drain(await openai().responses.create({ ...PARAMS, stream: true }));
    expect(events.at(-1)!.type).toBe('response.completed');
  });

  test('stall:N:MS: N deltas, silence, then the rest', async () => {
    await start({ script: ['stall:2:60000', 'stall:2:20'] });
    const stream = await openai().responses.create({ ...PARAMS, stream: true });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (seen.filter((type) => type === 'response.output_text.delta').length === 2) break;
    }
    expect(seen).toEqual([...HEAD, 'response.output_text.delta', 'response.output_text.delta']);
    const { events } = await drain(await openai().responses.create({ ...PARAMS, stream: true }));
    expect(deltasOf(events)).toEqual(DELTAS);
  });

  test('malformed-json on a stream: the second event is not JSON', async () => {
    await start({ script: ['malformed-json'] });
    const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
    const { events, error } = await drain(await openai({ logger }).responses.create({ ...PARAMS, stream: true }));
    expect(typesOf(events)).toEqual(['response.created']);
    expect(error.name).toBe('SyntaxError');
  });

  test('429 and 500 are answered before any stream', async () => {
    await start({ script: ['429', '500'] });
    expect(await failure(openai().responses.create({ ...PARAMS, stream: true }))).toBeInstanceOf(RateLimitError);
    expect(await failure(openai().responses.create(PARAMS))).toBeInstanceOf(InternalServerError);
  });

  test('responses.stream(): error-event and stream-cut reject finalResponse()', async () => {
    await start({ script: ['error-event:1', 'stream-cut:1', 'quota-stream'] });
    const errored = await failure(openai().responses.stream(PARAMS).finalResponse());
    expect(errored).toBeInstanceOf(APIError);
    expect(errored.code).toBe('server_error');
    // The stream helper wraps the plain TypeError: its message reads 'TypeError: terminated'.
    expect((await failure(openai().responses.stream(PARAMS).finalResponse())).message).toMatch(/terminated$/);
    expect(await failure(openai().responses.stream(PARAMS).finalResponse())).toMatchObject({
      code: 'insufficient_quota',
    });
  });

  test('faults on a replay count the replayed deltas', async () => {
    await start({ script: ['stream-cut:2', 'stream-cut:2', 'error-event:1'] });
    const client = openai();
    const first = await drain(await client.responses.create({ ...PARAMS, background: true, stream: true }));
    const id = (first.events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const after = first.events.at(-1)!.sequence_number;
    const second = await drain(await client.responses.retrieve(id, { stream: true, starting_after: after }));
    expect(second.error.message).toBe('terminated');
    expect(deltasOf(second.events)).toEqual(DELTAS.slice(2, 4));
    const again = second.events.at(-1)!.sequence_number;
    const third = await drain(await client.responses.retrieve(id, { stream: true, starting_after: again }));
    expect(deltasOf(third.events)).toEqual(DELTAS.slice(4, 5));
    expect(third.error).toBeInstanceOf(APIError);
    expect(third.events.map((event) => event.sequence_number)).toEqual([again + 1]);
  });

  test('faultFor sees the api; random mode draws the new specs', async () => {
    await start({
      faultFor: (request) => (request.api === 'responses' ? 'response-failed:0:from_fault_for' : undefined),
      faultRate: 1,
      faults: ['stall:0:1'],
    });
    expect(await openai().responses.create(PARAMS)).toMatchObject({ error: { code: 'from_fault_for' } });
    expect((await openai().embeddings.create({ model: 'm', input: 'x', dimensions: 2 })).data).toHaveLength(1);
    expect(faults.server.requests.map((request) => [request.api, request.fault])).toEqual([
      ['responses', 'response-failed:0:from_fault_for'],
      ['embeddings', 'stall:0:1'],
    ]);
  });

  test('a background response failed by response-failed is kept failed', async () => {
    await start({ script: ['response-failed:3'] });
    const client = openai();
    const { events } = await drain(await client.responses.create({ ...PARAMS, background: true, stream: true }));
    const id = (events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    expect(await client.responses.retrieve(id)).toMatchObject({ status: 'failed', error: { code: 'server_error' } });
  });
});
