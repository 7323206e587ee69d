/**
 * The fault server's embeddings and models endpoints through the real `openai` SDK (OpenAI,
 * AzureOpenAI and Azure's `/openai/v1`), and the existing faults on them.
 */
import OpenAI, { APIConnectionError, BadRequestError, InternalServerError, RateLimitError } from 'openai';

import { OPENAI_KEY, AZURE_KEY, useFaultServerClients, failure } from './sdk-clients';

const faults = useFaultServerClients();
const { start, openai, azure } = faults;

const norm = (vector: ArrayLike<number>) => Math.sqrt(Array.from(vector).reduce((sum, x) => sum + x * x, 0));

describe('embeddings', () => {
  test('the SDK default (base64, decoded by the SDK) and float give the same deterministic unit vector', async () => {
    await start();
    const client = openai();
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello',
      encoding_format: 'float',
    });
    expect(
      faults.server.requests.map((request) => (request.body as { encoding_format: string }).encoding_format),
    ).toEqual(['base64', 'float']);
    expect(decoded).toMatchObject({
      object: 'list',
      model: 'text-embedding-3-small',
      data: [{ object: 'embedding', index: 0 }],
      usage: { prompt_tokens: 1, total_tokens: 1 },
    });
    const vector = decoded.data[0].embedding;
    expect(vector).toHaveLength(1536);
    expect(Array.from(vector)).toEqual(floats.data[0].embedding);
    expect(norm(vector)).toBeCloseTo(1, 5);
    const again = await client.embeddings.create({ model: 'm', input: 'hello', encoding_format: 'float' });
    expect(again.data[0].embedding).toEqual(floats.data[0].embedding);
    expect(faults.server.requests[0]).toMatchObject({ path: '/v1/embeddings', api: 'embeddings', provider: 'openai' });
  });

  test('an array of inputs gives one vector each, in order; dimensions sets the length', async () => {
    await start();
    const result = await openai().embeddings.create({
      model: 'text-embedding-3-large',
      input: ['a', 'b', 'a'],
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(result.data.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(result.data.every((item) => item.embedding.length === 8)).toBe(true);
    expect(result.data[0].embedding).toEqual(result.data[2].embedding);
    expect(result.data[0].embedding).not.toEqual(result.data[1].embedding);
    const tokens = await openai().embeddings.create({ model: 'm', input: [[1, 2, 3], [4]], dimensions: 4 });
    expect(tokens.data).toHaveLength(2);
  });

  test('base64 on the wire is little-endian float32', async () => {
    await start();
    const response = await fetch(`${faults.server.openaiBaseURL}/embeddings`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', input: 'x', dimensions: 4, encoding_format: 'base64' }),
    });
    const body = await response.json();
    const bytes = Buffer.from(body.data[0].embedding, 'base64');
    expect(bytes).toHaveLength(16);
    expect(norm([0, 4, 8, 12].map((offset) => bytes.readFloatLE(offset)))).toBeCloseTo(1, 5);
  });

  test.each([
    [{ model: 'm' }, 'input'],
    [{ model: 'm', input: [] }, 'input'],
    [{ model: 'm', input: [{}] }, 'input'],
    [{ model: 'm', input: 'x', dimensions: 0 }, 'dimensions'],
    [{ model: 'm', input: 'x', dimensions: 1.5 }, 'dimensions'],
  ])('%j is a 400 invalid-request naming %s, using no script entry', async (body, param) => {
    await start({ script: ['503'] });
    const error = await failure(openai().embeddings.create(body as never));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.param).toBe(param);
    expect(faults.server.requests[0].fault).toBe('invalid-request');
    expect((await failure(openai().embeddings.create({ model: 'm', input: 'x' }))).status).toBe(503);
  });

  test.each([
    ['AzureOpenAI with a deployment', () => azure('emb'), '/openai/deployments/emb/embeddings', 'emb'],
    [
      'AzureOpenAI without one (the model names it)',
      () => azure(),
      '/openai/deployments/text-embedding-3-small/embeddings',
      'text-embedding-3-small',
    ],
  ])('%s', async (_name, client, path, deployment) => {
    await start();
    const result = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hi' });
    expect(result.data[0].embedding).toHaveLength(1536);
    expect(result.model).toBe(deployment);
    expect(faults.server.requests[0]).toMatchObject({ path, provider: 'azure', deployment, api: 'embeddings' });
    expect(faults.server.requests[0].headers['api-key']).toBe(AZURE_KEY);
  });

  test('Azure /openai/v1/embeddings', async () => {
    await start();
    const client = new OpenAI({ apiKey: AZURE_KEY, baseURL: `${faults.server.url}/openai/v1`, maxRetries: 0 });
    expect((await client.embeddings.create({ model: 'm', input: 'hi' })).data).toHaveLength(1);
    expect(faults.server.requests[0]).toMatchObject({
      path: '/openai/v1/embeddings',
      provider: 'azure',
      api: 'embeddings',
    });
  });

  test('faults: 429, 500, reset, stream-cut, malformed-json, response-failed, quota-stream, stall', async () => {
    await start({
      script: [
        '429',
        '500',
        'reset',
        'stream-cut:1',
        'malformed-json',
        'response-failed:0:bad_thing',
        'quota-stream',
        'stall:0:20',
      ],
    });
    const call = () => openai().embeddings.create({ model: 'm', input: 'x', dimensions: 4 });
    expect(await failure(call())).toBeInstanceOf(RateLimitError);
    expect(await failure(call())).toBeInstanceOf(InternalServerError);
    expect(await failure(call())).toBeInstanceOf(APIConnectionError);
    expect((await failure(call())).message).toBe('terminated');
    expect((await failure(call())).name).toBe('SyntaxError');
    expect(await failure(call())).toMatchObject({ status: 500, code: 'bad_thing' });
    expect(await failure(call())).toMatchObject({ status: 429, code: 'insufficient_quota' });
    expect((await call()).data[0].embedding).toHaveLength(4);
  });
});

describe('models', () => {
  test('OpenAI: a list of models the SDK pages through', async () => {
    await start();
    const ids: string[] = [];
    for await (const model of openai().models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']));
    expect(faults.server.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      api: 'models',
      body: undefined,
    });
  });

  test('AzureOpenAI: /openai/models with the api-key header', async () => {
    await start();
    const page = await azure('gpt-4o').models.list();
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'system' });
    expect(faults.server.requests[0]).toMatchObject({ path: '/openai/models', provider: 'azure', api: 'models' });
    expect(faults.server.requests[0].headers['api-key']).toBe(AZURE_KEY);
  });

  test('401 on models masks the key; faultFor sees api and an empty body', async () => {
    const seen: unknown[] = [];
    await start({
      faultFor: (request) => {
        seen.push({ api: request.api, body: request.body });
        return '401';
      },
    });
    const error = await failure(openai().models.list());
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(OPENAI_KEY);
    expect(seen).toEqual([{ api: 'models', body: {} }]);
  });
});
