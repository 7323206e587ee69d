/**
 * ResilientLLMService.resilientEmbeddings with the real openai SDK (OpenAI and AzureOpenAI
 * clients) against the fault server: vectors, retries, the Azure deployment route, fallbacks
 * and the safe AgentExecutionError.
 */
import { AgentExecutionError, ResilientLLMService } from '../../src';
import { azureConfig, className, faultsSeen, openaiConfig, rejectionOf, useLLMTestEnvironment } from './helpers';

const env = useLLMTestEnvironment();

const service = () => new ResilientLLMService({ tracer: env.tracer });
const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe('resilientEmbeddings', () => {
  it('returns one vector per input, in order', async () => {
    const server = await env.startServer();
    const config = openaiConfig(server, { model: 'text-embedding-3-small' });
    const result = await service().resilientEmbeddings(config, { input: ['first', 'second'], dimensions: 8 });
    expect(result.data.map((entry) => entry.index)).toEqual([0, 1]);
    for (const entry of result.data) {
      expect(entry.embedding).toHaveLength(8);
      expect(norm(entry.embedding)).toBeCloseTo(1, 4);
    }
    expect(result.data[0].embedding).not.toEqual(result.data[1].embedding);
    expect(server.requests.map((r) => [r.api, r.path])).toEqual([['embeddings', '/v1/embeddings']]);
    expect(server.requests[0].body).toMatchObject({
      model: 'text-embedding-3-small',
      input: ['first', 'second'],
      dimensions: 8,
    });
    expect(env.tracer.events).toEqual([
      { event: 'retry_attempt_start', details: { attempt: 1, max_attempts: 3 } },
      { event: 'llm_call_success', details: { attempt: 1, embeddings: 2 } },
    ]);
  });

  it('the same text gives the same vector (a single string input)', async () => {
    const server = await env.startServer();
    const config = openaiConfig(server, { model: 'text-embedding-3-small' });
    const one = await service().resilientEmbeddings(config, { input: 'same text', dimensions: 4 });
    const two = await service().resilientEmbeddings(config, { input: ['same text'], dimensions: 4 });
    expect(one.data).toHaveLength(1);
    expect(one.data[0].embedding).toEqual(two.data[0].embedding);
  });

  it('429, then ok: retried after the Retry-After', async () => {
    const server = await env.startServer({ script: ['429:20', 'ok'] });
    const result = await service().resilientEmbeddings(openaiConfig(server), { input: 'text', dimensions: 4 });
    expect(result.data).toHaveLength(1);
    expect(faultsSeen(server)).toEqual(['429:20', 'ok']);
    expect(env.tracer.named('retry_attempt_failed')).toEqual([
      expect.objectContaining({ attempt: 1, kind: 'rate_limit', status: 429 }),
    ]);
  });

  it('Azure: posts to the deployment route with the api-version and api-key', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const config = azureConfig(server, { model: 'embedding-deployment' });
    const result = await service().resilientEmbeddings(config, { input: ['a', 'b', 'c'], dimensions: 16 });
    expect(result.data.map((entry) => entry.embedding.length)).toEqual([16, 16, 16]);
    expect(server.requests.map((r) => [r.provider, r.api, r.path, r.deployment])).toEqual([
      ['azure', 'embeddings', '/openai/deployments/embedding-deployment/embeddings', 'embedding-deployment'],
      ['azure', 'embeddings', '/openai/deployments/embedding-deployment/embeddings', 'embedding-deployment'],
    ]);
    expect(server.requests[1].query).toMatchObject({ 'api-version': '2024-10-21' });
    expect(server.requests[1].headers['api-key']).toBeDefined();
  });

  it('quota on the primary: falls back to the next config', async () => {
    const server = await env.startServer({ script: ['429-quota', 'ok'] });
    const config = openaiConfig(server, {
      name: 'primary',
      model: 'text-embedding-3-large',
      fallbacks: [{ model: 'text-embedding-3-small', name: 'backup' }],
    });
    const result = await service().resilientEmbeddings(config, { input: 'text', dimensions: 4 });
    expect(result.data).toHaveLength(1);
    expect(server.requests.map((r) => (r.body as { model: string }).model)).toEqual([
      'text-embedding-3-large',
      'text-embedding-3-small',
    ]);
    expect(env.tracer.named('fallback_used')).toEqual([{ from: 'primary', to: 'backup', reason: 'quota_exhausted' }]);
  });

  it('a 401: not retried, AgentExecutionError auth with the SDK error as originalError', async () => {
    const server = await env.startServer({ script: ['401', 'ok'] });
    const error = await rejectionOf(service().resilientEmbeddings(openaiConfig(server), { input: 'text' }));
    expect(error).toBeInstanceOf(AgentExecutionError);
    expect(error).toMatchObject({ kind: 'auth', attempts: 1 });
    expect(className(error.originalError)).toBe('AuthenticationError');
    expect(server.requests).toHaveLength(1);
  });
});
