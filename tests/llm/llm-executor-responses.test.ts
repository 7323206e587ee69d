/**
 * LLMExecutor over the Responses API (`api: 'responses'` in the agent config) against the
 * fault server with the real openai SDK: text (`output_text`), JSON-schema answers
 * (`text.format`), streams of text deltas (retried before the first delta, interrupted or
 * resumed after it), and the message conversion.
 */
import { isSchemaValidationError, LLMExecutor, StreamInterruptedError, type AgentConfigInput } from '../../src';
import type { FaultServer } from '../../src/testing';
import {
  azureConfig,
  drain,
  faultsSeen,
  openaiConfig,
  PROMPT,
  rejectionOf,
  useLLMTestEnvironment,
  userMessages,
} from './helpers';

const env = useLLMTestEnvironment();

const responsesConfig = (server: FaultServer, overrides: AgentConfigInput = {}) =>
  openaiConfig(server, { api: 'responses', ...overrides });

const SCHEMA = {
  title: 'city card',
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'integer' } },
  required: ['city', 'population'],
  additionalProperties: false,
};

describe('executeText', () => {
  it('returns output_text, posting the messages as input items to /v1/responses', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const executor = new LLMExecutor({ tracer: env.tracer });
    const messages = [
      { role: 'system' as const, content: 'Be brief' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: PROMPT }] },
    ];
    const text = await executor.executeText(responsesConfig(server), messages, { temperature: 0, maxTokens: 40 });
    expect(text).toBe(`Echo: ${PROMPT}`);
    expect(faultsSeen(server)).toEqual(['503', 'ok']);
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'responses']);
    expect(server.requests[1].body).toEqual({
      model: 'gpt-4o-mini',
      input: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: [{ type: 'input_text', text: PROMPT }] },
      ],
      temperature: 0,
      max_output_tokens: 40,
      stream: false,
    });
  });

  it('a failed response (server_error) is retried; insufficient_quota is not', async () => {
    const server = await env.startServer({
      script: ['response-failed:0', 'ok', 'response-failed:0:insufficient_quota'],
    });
    const executor = new LLMExecutor({ tracer: env.tracer });
    expect(await executor.executeText(responsesConfig(server), userMessages())).toBe(`Echo: ${PROMPT}`);
    const error = await rejectionOf(executor.executeText(responsesConfig(server), userMessages()));
    expect(error).toMatchObject({ name: 'StreamEventError', event: 'response.failed', code: 'insufficient_quota' });
    expect(server.requests).toHaveLength(3);
  });

  it('works with an AzureOpenAI config (/openai/responses)', async () => {
    const server = await env.startServer();
    const text = await new LLMExecutor().executeText(azureConfig(server, { api: 'responses' }), userMessages('hi'));
    expect(text).toBe('Echo: hi');
    expect(server.requests[0].path).toBe('/openai/responses');
  });

  it("api 'chat' (and no api) still call Chat Completions", async () => {
    const server = await env.startServer();
    const executor = new LLMExecutor();
    await executor.executeText(openaiConfig(server), userMessages('a'));
    await executor.executeText(openaiConfig(server, { api: 'chat' }), userMessages('b'));
    expect(server.requests.map((r) => r.api)).toEqual(['chat', 'chat']);
  });

  it('a tool message cannot be sent over the Responses API: a TypeError naming the message, no request', async () => {
    const server = await env.startServer();
    const error = await rejectionOf(
      new LLMExecutor().executeText(responsesConfig(server), [{ role: 'tool', content: 'x', tool_call_id: 'call_1' }]),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("messages[0]: a tool message needs api 'chat'");
    expect(server.requests).toHaveLength(0);
  });
});

describe('executeWithSchema', () => {
  it('asks with text.format json_schema (strict) and resolves to the parsed object', async () => {
    const server = await env.startServer();
    const data = await new LLMExecutor().executeWithSchema<{ city: string; population: number }>(
      responsesConfig(server),
      userMessages(),
      SCHEMA,
    );
    expect(typeof data.city).toBe('string');
    expect(Number.isInteger(data.population)).toBe(true);
    expect(server.requests[0].api).toBe('responses');
    expect((server.requests[0].body as { text: unknown }).text).toEqual({
      format: { type: 'json_schema', name: 'city_card', schema: SCHEMA, strict: true },
    });
  });

  it('re-asks an off-schema answer, then throws SchemaValidationError', async () => {
    const server = await env.startServer();
    const error = await rejectionOf(
      new LLMExecutor().executeWithSchema(
        responsesConfig(server, { retryConfig: { maxAttempts: 2, baseDelayMs: 100 } }),
        userMessages(),
        {
          type: 'object',
          properties: { n: { type: 'integer' } },
          required: ['missing'],
        },
      ),
    );
    expect(isSchemaValidationError(error)).toBe(true);
    expect(server.requests).toHaveLength(2);
  });
});

describe('executeStream', () => {
  it('yields the text deltas (response.output_text.delta)', async () => {
    const server = await env.startServer();
    const { items, error } = await drain(new LLMExecutor().executeStream(responsesConfig(server), userMessages()));
    expect(error).toBeUndefined();
    expect(items.join('')).toBe(`Echo: ${PROMPT}`);
    expect(items.length).toBeGreaterThan(1);
    expect(server.requests[0].body).toMatchObject({ stream: true, model: 'gpt-4o-mini' });
  });

  it.each(['response-failed:0', 'error-event:0', 'stream-cut:0', '503'])(
    '%s before the first delta: retried, the whole text once',
    async (fault) => {
      const server = await env.startServer({ script: [fault, 'ok'] });
      const { items, error } = await drain(
        new LLMExecutor({ tracer: env.tracer }).executeStream(responsesConfig(server), userMessages()),
      );
      expect(error).toBeUndefined();
      expect(items.join('')).toBe(`Echo: ${PROMPT}`);
      expect(faultsSeen(server)).toEqual([fault, 'ok']);
    },
  );

  it('a cut after the first delta: StreamInterruptedError, no retry', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', 'ok'] });
    const { items, error } = await drain(new LLMExecutor().executeStream(responsesConfig(server), userMessages()));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(items).toHaveLength(2);
    expect(error.partialText).toBe(items.join(''));
    expect(server.requests).toHaveLength(1);
  });

  it('background + resume (executor option): re-attaches, every delta once', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', 'ok'] });
    const executor = new LLMExecutor({ resume: true });
    const { items, error } = await drain(
      executor.executeStream(responsesConfig(server), userMessages(), { background: true }),
    );
    expect(error).toBeUndefined();
    expect(items.join('')).toBe(`Echo: ${PROMPT}`);
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'retrieve']);
    expect(server.requests[1].query.starting_after).toMatch(/^\d+$/);
  });

  it('background + resume per call', async () => {
    const server = await env.startServer({ script: ['stream-cut:1', 'ok'] });
    const { items, error } = await drain(
      new LLMExecutor().executeStream(responsesConfig(server), userMessages(), { background: true, resume: true }),
    );
    expect(error).toBeUndefined();
    expect(items.join('')).toBe(`Echo: ${PROMPT}`);
  });

  it('logs under LLMExecutor.executeStream', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    await drain(new LLMExecutor().executeStream(responsesConfig(server), userMessages()));
    const lines = env.log.transport.lines().join('\n');
    expect(lines).toContain('LLMExecutor.executeStream');
  });

  it('an invalid config fails the stream when read', async () => {
    const stream = new LLMExecutor().executeStream({ provider: 'openai', model: '' }, userMessages());
    const { error } = await drain(stream);
    expect(error?.name).toBe('RetryConfigError');
  });

  it('rejects a resume option that is no boolean', () => {
    expect(() => new LLMExecutor({ resume: 1 as unknown as boolean })).toThrow('LLMExecutor: resume must be a boolean');
  });
});
