/**
 * The fault server driven by the real `openai` SDK (OpenAI and AzureOpenAI clients, no SDK
 * retries): every fault must surface as the error a retry policy will see in production.
 */
import OpenAI, {
  APIConnectionError,
  APIUserAbortError,
  AuthenticationError,
  AzureOpenAI,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from 'openai';

import { startFaultServer, type FaultServer, type FaultServerOptions, type FaultSpec } from '../../src/testing';
import { failure } from './sdk-clients';

const OPENAI_KEY = 'sk-test-0123456789abcdefghijklmnopqrstuvwxyz';
const AZURE_KEY = '0123456789abcdef0123456789abcdef';
const MESSAGE = 'What is the capital of France';
const PARAMS = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: MESSAGE }] };

let server: FaultServer;
const extraServers: FaultServer[] = [];

async function start(options?: FaultServerOptions): Promise<FaultServer> {
  server = await startFaultServer(options);
  return server;
}

async function startExtra(options?: FaultServerOptions): Promise<FaultServer> {
  const extra = await startFaultServer(options);
  extraServers.push(extra);
  return extra;
}

afterEach(async () => {
  await server?.close();
  await Promise.all(extraServers.splice(0).map((extra) => extra.close()));
});

function openai(target: FaultServer = server, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}): OpenAI {
  return new OpenAI({ apiKey: OPENAI_KEY, baseURL: target.openaiBaseURL, maxRetries: 0, ...options });
}

function azure(target: FaultServer = server): AzureOpenAI {
  return new AzureOpenAI({
    apiKey: AZURE_KEY,
    endpoint: target.azureEndpoint,
    apiVersion: '2024-10-21',
    deployment: 'gpt-4o',
    maxRetries: 0,
  });
}

/** Iterates a stream; returns the chunks received and the error that ended it, if any. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ chunks: T[]; error?: any }> {
  const chunks: T[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

describe('startFaultServer', () => {
  test('URLs on 127.0.0.1 with a free port', async () => {
    await start();
    const other = await startExtra();
    expect(server.port).toBeGreaterThan(0);
    expect(other.port).not.toBe(server.port);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.openaiBaseURL).toBe(`${server.url}/v1`);
    expect(server.azureEndpoint).toBe(server.url);
  });
});

describe('ok replies', () => {
  test('OpenAI JSON: an echo of the last user message, with a request id', async () => {
    await start();
    const { data, response, request_id } = await openai().chat.completions.create(PARAMS).withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: `Echo: ${MESSAGE}` }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
        total_tokens: expect.any(Number),
      },
    });
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(typeof data.created).toBe('number');
    expect(response.status).toBe(200);
    expect(request_id).toBe('req_1');
  });

  test('request ids are unique', async () => {
    await start();
    const ids = new Set<string | null>();
    for (let i = 0; i < 3; i++) ids.add((await openai().chat.completions.create(PARAMS).withResponse()).request_id);
    expect(ids).toEqual(new Set(['req_1', 'req_2', 'req_3']));
  });

  test('Azure JSON: the model is the deployment', async () => {
    await start();
    const completion = await azure().chat.completions.create(PARAMS);
    expect(completion.model).toBe('gpt-4o');
    expect(completion.choices[0].message.content).toBe(`Echo: ${MESSAGE}`);
  });

  test.each([
    ['OpenAI', () => openai()],
    ['Azure', () => azure()],
  ])('%s stream: a role chunk, content chunks, a finish chunk', async (_name, client) => {
    await start();
    const stream = await client().chat.completions.create({ ...PARAMS, stream: true });
    const { chunks, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const contents = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '');
    expect(contents.filter(Boolean).length).toBeGreaterThan(3);
    expect(contents.join('')).toBe(`Echo: ${MESSAGE}`);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  test('stream with include_usage ends with a usage chunk', async () => {
    await start();
    const stream = await openai().chat.completions.create({
      ...PARAMS,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks } = await drain(stream);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
  });

  test('json_schema: the content parses as JSON with a value per property (plain and streamed)', async () => {
    await start();
    const request = {
      ...PARAMS,
      response_format: {
        type: 'json_schema' as const,
        json_schema: {
          name: 'city',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              population: { type: 'number' },
              capital: { type: 'boolean' },
              districts: { type: 'array', items: { type: 'string' } },
              location: { type: 'object' },
            },
            required: ['name', 'population', 'capital', 'districts', 'location'],
            additionalProperties: false,
          },
        },
      },
    };
    const expected = { name: 'example', population: 1, capital: true, districts: [], location: {} };
    const completion = await openai().chat.completions.create(request);
    expect(JSON.parse(completion.choices[0].message.content!)).toEqual(expected);
    const { chunks } = await drain(await azure().chat.completions.create({ ...request, stream: true }));
    expect(JSON.parse(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''))).toEqual(expected);
  });
});

describe('recorded requests', () => {
  test('OpenAI: path, body, authorization header, provider; the array is live', async () => {
    await start();
    const { requests } = server;
    await openai().chat.completions.create(PARAMS);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      query: {},
      provider: 'openai',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: MESSAGE }] },
      api: 'chat',
      fault: 'ok',
      requestId: 'req_1',
    });
    expect(requests[0].headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(requests[0]).not.toHaveProperty('deployment');
    expect(Math.abs(requests[0].at - Date.now())).toBeLessThan(5_000);
    await openai().chat.completions.create(PARAMS);
    expect(requests).toHaveLength(2);
    expect(server.requests).toBe(requests);
  });

  test('Azure: deployment, api-version, api-key header', async () => {
    await start();
    await azure().chat.completions.create(PARAMS);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/openai/deployments/gpt-4o/chat/completions',
      query: { 'api-version': '2024-10-21' },
      provider: 'azure',
      deployment: 'gpt-4o',
      body: { messages: [{ role: 'user', content: MESSAGE }] },
      fault: 'ok',
    });
    expect(server.requests[0].headers['api-key']).toBe(AZURE_KEY);
  });

  test('an unknown endpoint is a 404 with a request id, recorded, and uses no script entry', async () => {
    await start({ script: ['503'] });
    const response = await fetch(`${server.url}/v1/audio/speech`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(await response.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/audio/speech)' } });
    expect(server.requests[0].fault).toBe('not-found');
    expect(server.requests[0]).not.toHaveProperty('api');
    expect((await failure(openai().chat.completions.create(PARAMS))).status).toBe(503);
  });

  test('a body that is not JSON is a 400 and uses no script entry', async () => {
    await start({ script: ['503'] });
    const response = await fetch(`${server.openaiBaseURL}/chat/completions`, { method: 'POST', body: 'not json' });
    expect(response.status).toBe(400);
    expect(server.requests[0]).toMatchObject({ fault: 'invalid-body', body: undefined });
    expect((await failure(openai().chat.completions.create(PARAMS))).status).toBe(503);
  });
});

describe('faults through the real SDK', () => {
  test('429: RateLimitError with retry-after-ms 200, retry-after 1 and rate_limit_exceeded', async () => {
    await start({ script: ['429'] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests', requestID: 'req_1' });
    expect(error.headers.get('retry-after-ms')).toBe('200');
    expect(error.headers.get('retry-after')).toBe('1');
  });

  test('429:MS sets the wait (retry-after rounded up to seconds)', async () => {
    await start({ script: ['429:1500'] });
    const error = await failure(azure().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.headers.get('retry-after-ms')).toBe('1500');
    expect(error.headers.get('retry-after')).toBe('2');
  });

  test('429-quota: status 429, code insufficient_quota, no retry-after', async () => {
    await start({ script: ['429-quota'] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect(error.headers.get('retry-after')).toBeNull();
    expect(error.headers.get('retry-after-ms')).toBeNull();
  });

  test.each([500, 502, 503, 504])('%i: InternalServerError with that status and a JSON body', async (status) => {
    await start({ script: [String(status)] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.status).toBe(status);
    expect(error.error).toMatchObject({ type: 'server_error', message: expect.any(String) });
    expect(error.requestID).toBe('req_1');
  });

  test.each([
    ['OpenAI', () => openai(), OPENAI_KEY],
    ['Azure', () => azure(), AZURE_KEY],
  ])('401 (%s): AuthenticationError, invalid_api_key, the key masked', async (_name, client, key) => {
    await start({ script: ['401'] });
    const error = await failure(client().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(error.message).toContain('Incorrect API key provided: ');
    expect(error.message).toContain('****');
    expect(error.message).not.toContain(key);
    expect(JSON.stringify(error.error)).not.toContain(key);
  });

  test('400-content-filter: BadRequestError, code content_filter, Azure inner error', async () => {
    await start({ script: ['400-content-filter'] });
    const error = await failure(azure().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'content_filter' });
    expect(error.error.innererror).toMatchObject({ code: 'ResponsibleAIPolicyViolation' });
  });

  test('400-context-length: BadRequestError, code context_length_exceeded', async () => {
    await start({ script: ['400-context-length'] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' });
  });

  test('reset: APIConnectionError', async () => {
    await start({ script: ['reset'] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error.status).toBeUndefined();
    expect(server.requests[0].fault).toBe('reset');
  });

  test.each([0, 2, 4])('stream-cut:%i: the stream fails after exactly that many content chunks', async (n) => {
    await start({ script: [`stream-cut:${n}` as FaultSpec] });
    const stream = await openai().chat.completions.create({ ...PARAMS, stream: true });
    const { chunks, error } = await drain(stream);
    expect(error).toBeDefined();
    // A cut body is a plain `TypeError: terminated` from undici (see TOOLCHAIN.md), not an APIError.
    expect(error.message).toBe('terminated');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const contents = chunks.map((chunk) => chunk.choices[0]?.delta.content).filter(Boolean);
    expect(contents).toEqual(['Echo:', ' What', ' is', ' the'].slice(0, n));
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
  });

  test('stream-cut on a plain request: headers, half the body, then a cut', async () => {
    await start({ script: ['stream-cut:1'] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error.message).toBe('terminated');
  });

  test('malformed-json: 200 with a body that is not JSON -> a parse error', async () => {
    await start({ script: ['malformed-json'] });
    const error = await failure(openai().chat.completions.create(PARAMS));
    expect(error.name).toBe('SyntaxError');
  });

  test('malformed-json on a stream: the bad event fails the iteration', async () => {
    await start({ script: ['malformed-json'] });
    // The SDK logs the unparseable event before throwing: give it a logger of its own.
    const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
    const stream = await openai(server, { logger }).chat.completions.create({ ...PARAMS, stream: true });
    const { chunks, error } = await drain(stream);
    expect(chunks).toHaveLength(1);
    expect(error.name).toBe('SyntaxError');
    expect(logger.error).toHaveBeenCalledWith('Could not parse message into JSON:', expect.any(String));
  });

  test('slow:40: ok after the delay', async () => {
    await start({ script: ['slow:40'] });
    const started = performance.now();
    const completion = await openai().chat.completions.create(PARAMS);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(completion.choices[0].message.content).toBe(`Echo: ${MESSAGE}`);
    expect(server.requests[0].fault).toBe('slow:40');
  });

  test('hang: the SDK timeout ends the call; close() still resolves', async () => {
    await start({ script: ['hang'] });
    const error = await failure(openai(server, { timeout: 50 }).chat.completions.create(PARAMS));
    // A timeout is APIConnectionTimeoutError, but inside jest's realm openai may report it as
    // a plain APIConnectionError (see TOOLCHAIN.md): both are connection errors.
    expect(error).toBeInstanceOf(APIConnectionError);
    await expect(server.close()).resolves.toBeUndefined();
  });

  test('hang: an AbortController ends the call', async () => {
    await start({ script: ['hang'] });
    const controller = new AbortController();
    const call = openai().chat.completions.create(PARAMS, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await failure(call)).toBeInstanceOf(APIUserAbortError);
  });

  test('close() ends hanging and slow requests: the clients see connection errors', async () => {
    await start({ script: ['hang', 'slow:60000'] });
    const hanging = failure(openai().chat.completions.create(PARAMS));
    const slow = failure(openai().chat.completions.create(PARAMS));
    while (server.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.close();
    await server.close(); // twice is fine
    expect(await hanging).toBeInstanceOf(APIConnectionError);
    expect(await slow).toBeInstanceOf(APIConnectionError);
  });
});

describe('script', () => {
  test('request i gets script[i], then ok', async () => {
    await start({ script: ['429', '503', 'ok', '500'] });
    const client = openai();
    const outcomes: Array<number | string> = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(
        await client.chat.completions.create(PARAMS).then(
          () => 'ok',
          (error) => error.status,
        ),
      );
    }
    expect(outcomes).toEqual([429, 503, 'ok', 500, 'ok', 'ok']);
    expect(server.requests.map((request) => request.fault)).toEqual(['429', '503', 'ok', '500', 'ok', 'ok']);
  });

  test('setScript replaces the script and restarts from its first entry', async () => {
    await start({ script: ['500', '500', '500'] });
    const client = openai();
    await failure(client.chat.completions.create(PARAMS));
    server.setScript(['502', 'ok', '504']);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        await client.chat.completions.create(PARAMS).then(
          () => 200,
          (e) => e.status,
        ),
      );
    expect(statuses).toEqual([502, 200, 504, 200]);
    expect(() => server.setScript(['ok', 'teapot'])).toThrow(/"teapot" in setScript\(faults\)\[1\]/);
  });
});

describe('random mode', () => {
  async function faultSequence(seed: number): Promise<string[]> {
    const target = await startExtra({ faultRate: 0.3, faults: ['429', '500', '503', 'reset'], seed });
    const client = openai(target);
    for (let i = 0; i < 50; i++) await client.chat.completions.create(PARAMS).catch(() => undefined);
    return target.requests.map((request) => request.fault);
  }

  test('the same seed gives the same 50 faults; about faultRate of them fail', async () => {
    await start();
    const first = await faultSequence(7);
    expect(await faultSequence(7)).toEqual(first);
    expect(await faultSequence(8)).not.toEqual(first);
    const failed = first.filter((fault) => fault !== 'ok').length;
    // Seeded, so this is a fixed number; the band says it is a plausible 30%.
    expect(failed).toBeGreaterThanOrEqual(8);
    expect(failed).toBeLessThanOrEqual(22);
    expect(new Set(first.filter((fault) => fault !== 'ok')).size).toBeGreaterThan(1);
  });
});

describe('faultFor', () => {
  /** The tag a test puts in a prompt to say which logical call a request belongs to. */
  const callOf = (body: Record<string, unknown>): string => {
    const messages = body.messages as Array<{ content: string }>;
    return /call-(\d+)/.exec(messages[messages.length - 1].content)?.[1] ?? '?';
  };
  const ask = (client: OpenAI, call: string) =>
    client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `call-${call}` }] })
      .then(
        () => 200,
        (error) => error.status,
      );

  test('decides each request from the request itself, whatever the arrival order', async () => {
    // Each call's own plan, by the number of requests it has made so far.
    const plans: Record<string, FaultSpec[]> = { '1': ['503', 'ok'], '2': ['429-quota'], '3': ['ok'] };
    const seen = new Map<string, number>();
    await start({
      faultFor: (request) => {
        const call = callOf(request.body);
        const index = seen.get(call) ?? 0;
        seen.set(call, index + 1);
        return plans[call][index];
      },
    });
    const client = openai();
    const [one, two, three] = await Promise.all([ask(client, '3'), ask(client, '2'), ask(client, '1')]);
    expect({ one, two, three }).toEqual({ one: 200, two: 429, three: 503 });
    expect(await ask(client, '1')).toBe(200);
    const byCall = (call: string) =>
      server.requests.filter((request) => callOf(request.body as Record<string, unknown>) === call);
    expect(byCall('1').map((request) => request.fault)).toEqual(['503', 'ok']);
    expect(byCall('2').map((request) => request.fault)).toEqual(['429-quota']);
    expect(byCall('3').map((request) => request.fault)).toEqual(['ok']);
  });

  test('undefined leaves the request to the script (and only such requests use script entries)', async () => {
    await start({ script: ['500', '502'], faultFor: (request) => (callOf(request.body) === '9' ? '401' : undefined) });
    const client = openai();
    const statuses = [];
    for (const call of ['1', '9', '1', '9', '1']) statuses.push(await ask(client, call));
    expect(statuses).toEqual([500, 401, 502, 401, 200]);
    expect(server.requests.map((request) => request.fault)).toEqual(['500', '401', '502', '401', 'ok']);
  });

  test('sees the request but not a fault; the PRNG is not drawn for decided requests', async () => {
    const seenKeys: string[][] = [];
    await start({
      faultRate: 1,
      faults: ['500', '503'],
      seed: 3,
      faultFor: (request) => {
        seenKeys.push(Object.keys(request).sort());
        return callOf(request.body) === '0' ? 'ok' : undefined;
      },
    });
    const client = openai();
    const mixed = [];
    for (const call of ['0', '1', '0', '1', '1']) mixed.push(await ask(client, call));
    const plain = await startExtra({ faultRate: 1, faults: ['500', '503'], seed: 3 });
    const undecided = [];
    for (let i = 0; i < 3; i++) undecided.push(await ask(openai(plain), '1'));
    // Requests of call 1 (2nd, 4th, 5th) get the same faults as the first three of a plain server.
    expect([mixed[1], mixed[3], mixed[4]]).toEqual(undecided);
    expect([mixed[0], mixed[2]]).toEqual([200, 200]);
    expect(seenKeys[0]).toEqual(['api', 'at', 'body', 'headers', 'method', 'path', 'provider', 'query', 'requestId']);
  });

  test('an invalid spec or a throw is a 400 invalid_fault_spec, recorded as invalid-fault', async () => {
    await start({
      faultFor: (request) => {
        if (callOf(request.body) === '1') return 'teapot';
        throw new Error('plan missing');
      },
    });
    const client = openai();
    const first = await failure(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'call-1' }] }),
    );
    const second = await failure(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'call-2' }] }),
    );
    expect(first).toBeInstanceOf(BadRequestError);
    expect(first.code).toBe('invalid_fault_spec');
    expect(first.message).toMatch(/Invalid fault spec "teapot" in faultFor\. Valid specs: ok, 429/);
    expect(second.message).toMatch(/it threw Error: plan missing/);
    expect(server.requests.map((request) => request.fault)).toEqual(['invalid-fault', 'invalid-fault']);
  });

  test('must be a function', async () => {
    await expect(startFaultServer({ faultFor: 'ok' as never })).rejects.toThrow('faultFor must be a function');
  });
});

describe('rate limit (token bucket)', () => {
  /** Status and headers of a call, whether it succeeded or failed. */
  async function call(client: OpenAI): Promise<{ status: number; headers: Headers }> {
    try {
      const { response } = await client.chat.completions.create(PARAMS).withResponse();
      return { status: response.status, headers: response.headers };
    } catch (error: any) {
      return { status: error.status, headers: error.headers };
    }
  }

  function expectRateLimitHeaders(headers: Headers, limitPerMinute = '1200'): void {
    expect(headers.get('x-ratelimit-limit-requests')).toBe(limitPerMinute);
    expect(headers.get('x-ratelimit-remaining-requests')).toMatch(/^[0-2]$/);
    expect(headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+(\.\d+)?s)$/);
  }

  // rps 2: a token every 500 ms, so "immediate" holds on a loaded machine too (with rps 20 the
  // three requests could arrive 50 ms apart and all pass).
  test('rps 2, burst 2: of 3 immediate requests the third is a 429 with the true wait', async () => {
    await start({ rateLimit: { rps: 2, burst: 2 } });
    const client = openai();
    const results = await Promise.all([call(client), call(client), call(client)]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 200, 429]);
    for (const { headers } of results) expectRateLimitHeaders(headers, '120');
    const limited = results.find((result) => result.status === 429)!;
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    expect(Number.isInteger(waitMs)).toBe(true);
    expect(waitMs).toBeGreaterThanOrEqual(1);
    expect(waitMs).toBeLessThanOrEqual(500);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(server.requests.map((request) => request.fault).sort()).toEqual(['ok', 'ok', 'rate-limited']);
  });

  test('a refused request uses no script entry; after the advertised wait the next one passes', async () => {
    await start({ rateLimit: { rps: 2, burst: 1 }, script: ['503', '500'] });
    const client = openai();
    expect((await call(client)).status).toBe(503);
    const limited = await call(client);
    expect(limited.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, Number(limited.headers.get('retry-after-ms'))));
    expect((await call(client)).status).toBe(500);
    expect(server.requests.map((request) => request.fault)).toEqual(['503', 'rate-limited', '500']);
  });

  test('404s carry the headers too; a server without a limit sends none', async () => {
    await start({ rateLimit: { rps: 20, burst: 2 } });
    expectRateLimitHeaders((await fetch(`${server.url}/nope`)).headers);
    const plain = await startExtra();
    const { response } = await openai(plain).chat.completions.create(PARAMS).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBeNull();
  });
});

describe('validation', () => {
  test.each<[FaultServerOptions, RegExp]>([
    [{ script: ['418'] }, /Invalid fault spec "418" in script\[0\]\. Valid specs: ok, 429, 429:<ms>, .*slow:<ms>/],
    [{ script: ['ok', 'slow:fast'] }, /"slow:fast" in script\[1\]/],
    [{ faults: ['429', 'boom'] }, /"boom" in faults\[1\]/],
    [{ faultRate: 1.5 }, /faultRate must be a number in \[0, 1\], got 1.5/],
    [{ faultRate: -0.1 }, /faultRate .* got -0.1/],
    [{ faultRate: NaN }, /faultRate .* got NaN/],
    [{ faultRate: 0.5, faults: [] }, /faults must not be empty/],
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ rateLimit: { rps: 0, burst: 1 } }, /rateLimit.rps/],
    [{ rateLimit: { rps: 10, burst: 0 } }, /rateLimit.burst/],
    [{ port: 70000 }, /port must be an integer/],
  ])('%j is rejected', async (options, message) => {
    await expect(startFaultServer(options)).rejects.toThrow(message);
  });

  test('a port in use rejects with the listen error', async () => {
    await start();
    await expect(startFaultServer({ port: server.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
