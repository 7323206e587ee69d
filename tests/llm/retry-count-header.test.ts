/**
 * Issue #12 item 5: every request of the LLM layer says which retry it is, in
 * `x-stainless-retry-count` (the attempt number minus one), as the `openai` SDK does when it
 * retries itself (the library turns the SDK's retries off, so the SDK alone would send 0 on
 * every attempt). Through the fault server, which records each request's headers.
 */
import { getRetryContext, LLMExecutor, ResilientLLMService } from '../../src';
import type { FaultServer } from '../../src/testing';
import { azureConfig, drain, openaiConfig, useLLMTestEnvironment, userMessages } from './helpers';

const env = useLLMTestEnvironment();

const retryCounts = (server: FaultServer) =>
  server.requests.map((request) => request.headers['x-stainless-retry-count']);

describe('x-stainless-retry-count', () => {
  it('LLMExecutor.executeText: a 503 then ok sends 0 then 1', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    await new LLMExecutor().executeText(openaiConfig(server), userMessages());
    expect(retryCounts(server)).toEqual(['0', '1']);
  });

  it('counts every attempt: 503, 503, ok sends 0, 1, 2 (Azure too)', async () => {
    const server = await env.startServer({ script: ['503', '503', 'ok'] });
    await new LLMExecutor().executeText(azureConfig(server, { retryConfig: { maxAttempts: 3 } }), userMessages());
    expect(retryCounts(server)).toEqual(['0', '1', '2']);
  });

  it('under a caller signal (a supervised call) too', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const signal = new AbortController().signal;
    await new LLMExecutor().executeText(openaiConfig(server), userMessages(), { signal });
    expect(retryCounts(server)).toEqual(['0', '1']);
  });

  it('LLMExecutor.executeWithSchema', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    await new LLMExecutor().executeWithSchema(openaiConfig(server), userMessages(), schema);
    expect(retryCounts(server)).toEqual(['0', '1']);
  });

  it('LLMExecutor.executeStream: retried before its first delta', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const { items, error } = await drain(new LLMExecutor().executeStream(openaiConfig(server), userMessages()));
    expect(error).toBeUndefined();
    expect(items.length).toBeGreaterThan(0);
    expect(retryCounts(server)).toEqual(['0', '1']);
  });

  it('ResilientLLMService.resilientChatCompletion', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    await new ResilientLLMService().resilientChatCompletion(openaiConfig(server), { messages: userMessages() });
    expect(retryCounts(server)).toEqual(['0', '1']);
  });

  it('a fallback config starts again at 0', async () => {
    const server = await env.startServer({ script: ['503', '503', 'ok'] });
    const config = openaiConfig(server, { retryConfig: { maxAttempts: 2 }, fallbacks: [{ model: 'gpt-4o' }] });
    await new ResilientLLMService().resilientChatCompletion(config, { messages: userMessages() });
    expect(retryCounts(server)).toEqual(['0', '1', '0']);
  });

  // Last: once asked for, the async retry context stays on for the rest of this file.
  it('with the async retry context on, the same', async () => {
    getRetryContext();
    const server = await env.startServer({ script: ['503', 'ok'] });
    await new LLMExecutor().executeText(openaiConfig(server), userMessages());
    expect(retryCounts(server)).toEqual(['0', '1']);
  });
});
