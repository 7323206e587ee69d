/**
 * LLMExecutor against the fault server with the real openai SDK: text, JSON-schema answers
 * (re-asked when off-schema), streams (retried only before the first delta), and the
 * caller's AbortSignal.
 */
import {
  isSchemaValidationError,
  isStreamInterruptedError,
  LLMExecutor,
  SchemaValidationError,
  StreamInterruptedError,
} from '../../src';
import {
  azureConfig,
  className,
  drain,
  faultsSeen,
  openaiConfig,
  realNow,
  rejectionOf,
  useLLMTestEnvironment,
  userMessages,
  RETRIED_ONCE_THEN_SUCCESS,
} from './helpers';
import type { FaultServer } from '../../src/testing';

const env = useLLMTestEnvironment();

/** Turns the real event loop until the server has seen `count` requests. */
async function untilRequests(server: FaultServer, count: number): Promise<void> {
  const start = realNow();
  while (server.requests.length < count) {
    if (realNow() - start > 3000) throw new Error(`the server saw ${server.requests.length} of ${count} requests`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const PERSON_SCHEMA = {
  title: 'person card',
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    role: { enum: ['admin', 'user'] },
  },
  required: ['name', 'age', 'tags', 'role'],
  additionalProperties: false,
};

/** The fault server fills declared properties only, so a required-but-undeclared one is always missing. */
const UNSATISFIABLE_SCHEMA = {
  type: 'object',
  properties: { n: { type: 'integer', minimum: 5 } },
  required: ['missing'],
};

describe('executeText', () => {
  it('retries a 503 and returns the first choice text (2 requests)', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const executor = new LLMExecutor({ tracer: env.tracer });
    const text = await executor.executeText(openaiConfig(server), userMessages('hello there'));
    expect(text).toBe('Echo: hello there');
    expect(faultsSeen(server)).toEqual(['503', 'ok']);
    expect(env.tracer.names()).toEqual(RETRIED_ONCE_THEN_SUCCESS);
    expect(env.tracer.named('retry_attempt_failed')[0]).toEqual({
      attempt: 1,
      error_type: 'InternalServerError',
      kind: 'server',
      status: 503,
    });
  });

  it('sends the model, messages, temperature and max_tokens, not streaming', async () => {
    const server = await env.startServer();
    await new LLMExecutor().executeText(openaiConfig(server), userMessages('x'), { temperature: 0.2, maxTokens: 50 });
    expect(server.requests[0].body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      temperature: 0.2,
      max_tokens: 50,
      stream: false,
    });
  });

  it('works with an AzureOpenAI config (deployment URL)', async () => {
    const server = await env.startServer({ script: ['500', 'ok'] });
    const text = await new LLMExecutor().executeText(azureConfig(server), userMessages('azure text'));
    expect(text).toBe('Echo: azure text');
    expect(server.requests.map((request) => request.path)).toEqual([
      '/openai/deployments/gpt-4o/chat/completions',
      '/openai/deployments/gpt-4o/chat/completions',
    ]);
  });

  it('throws the SDK error as is when attempts run out (maxAttempts from the config)', async () => {
    const server = await env.startServer({ script: ['502', '502', '502', '502'] });
    const error = await rejectionOf(
      new LLMExecutor().executeText(
        openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxAttempts: 2 } }),
        userMessages(),
      ),
    );
    expect(className(error)).toBe('InternalServerError');
    expect(error.status).toBe(502);
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 401', async () => {
    const server = await env.startServer({ script: ['401'] });
    const error = await rejectionOf(new LLMExecutor().executeText(openaiConfig(server), userMessages()));
    expect(className(error)).toBe('AuthenticationError');
    expect(server.requests).toHaveLength(1);
  });
});

describe('executeWithSchema', () => {
  it('asks with response_format json_schema and resolves to the parsed object', async () => {
    const server = await env.startServer();
    const executor = new LLMExecutor();
    const person = await executor.executeWithSchema<{ name: string; age: number }>(
      openaiConfig(server),
      userMessages('who?'),
      PERSON_SCHEMA,
    );
    expect(person).toEqual({ name: 'example', age: 1, tags: [], role: 'admin' });

    const body = server.requests[0].body as Record<string, any>;
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema).toEqual({ name: 'person_card', schema: PERSON_SCHEMA, strict: true });
    expect(body.stream).toBe(false);
  });

  it('retries transient failures before parsing', async () => {
    const server = await env.startServer({ script: ['503', 'reset', 'ok'] });
    const result = await new LLMExecutor().executeWithSchema(openaiConfig(server), userMessages(), {
      type: 'object',
      properties: { ok: { type: 'boolean' } },
      required: ['ok'],
    });
    expect(result).toEqual({ ok: true });
    expect(faultsSeen(server)).toEqual(['503', 'reset', 'ok']);
  });

  it('re-asks an off-schema answer up to maxAttempts times, then throws SchemaValidationError', async () => {
    const server = await env.startServer();
    const executor = new LLMExecutor({ tracer: env.tracer });
    for (const maxAttempts of [3, 2]) {
      server.requests.length = 0;
      env.tracer.events.length = 0;
      const config = openaiConfig(server, { retryConfig: { baseDelayMs: 100, maxAttempts } });
      const error = await rejectionOf(executor.executeWithSchema(config, userMessages(), UNSATISFIABLE_SCHEMA));
      expect(error).toBeInstanceOf(SchemaValidationError);
      expect(isSchemaValidationError(error)).toBe(true);
      expect(error.problems).toEqual(['$.missing is required']);
      expect(error.content).toBe('{"n":1}');
      // The model's text stays out of the message (it may repeat the prompt).
      expect(error.message).toBe("The model's answer does not match the JSON schema: $.missing is required");
      expect(Object.keys(error)).not.toContain('content');
      expect(server.requests).toHaveLength(maxAttempts);
      expect(server.requests.every((request) => (request.body as any).response_format.type === 'json_schema')).toBe(
        true,
      );
      expect(env.tracer.named('retry_attempt_failed').map((details) => details.error_type)).toEqual(
        Array(maxAttempts).fill('SchemaValidationError'),
      );
      expect(env.tracer.named('max_retries_exceeded')).toEqual([
        expect.objectContaining({ max_attempts: maxAttempts, final_error_type: 'SchemaValidationError' }),
      ]);
    }
  });

  it('does not re-ask after a non-retryable failure', async () => {
    const server = await env.startServer({ script: ['400-context-length'] });
    const error = await rejectionOf(
      new LLMExecutor().executeWithSchema(openaiConfig(server), userMessages(), PERSON_SCHEMA),
    );
    expect(className(error)).toBe('BadRequestError');
    expect(server.requests).toHaveLength(1);
  });
});

describe('executeStream', () => {
  const words = 'one two three four five';

  it('streams the deltas of the answer', async () => {
    const server = await env.startServer();
    const { items, error } = await drain(new LLMExecutor().executeStream(openaiConfig(server), userMessages(words)));
    expect(error).toBeUndefined();
    expect(items).toEqual(['Echo:', ' one', ' two', ' three', ' four', ' five']);
    expect((server.requests[0].body as any).stream).toBe(true);
  });

  it('retries a stream cut before its first chunk: full text, 2 requests', async () => {
    const server = await env.startServer({ script: ['stream-cut:0', 'ok'] });
    const executor = new LLMExecutor({ tracer: env.tracer });
    const { items, error } = await drain(executor.executeStream(openaiConfig(server), userMessages(words)));
    expect(error).toBeUndefined();
    expect(items.join('')).toBe(`Echo: ${words}`);
    expect(faultsSeen(server)).toEqual(['stream-cut:0', 'ok']);
    expect(env.tracer.names()).toEqual(RETRIED_ONCE_THEN_SUCCESS);
  });

  it('retries a 503 before the stream starts', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const { items } = await drain(new LLMExecutor().executeStream(openaiConfig(server), userMessages(words)));
    expect(items.join('')).toBe(`Echo: ${words}`);
    expect(server.requests).toHaveLength(2);
  });

  it('yields 2 chunks of a stream cut after 2, then throws StreamInterruptedError (1 request, no retry)', async () => {
    const server = await env.startServer({ script: ['stream-cut:2', 'ok'] });
    const executor = new LLMExecutor({ tracer: env.tracer });
    const { items, error } = await drain(executor.executeStream(openaiConfig(server), userMessages(words)));
    expect(items).toEqual(['Echo:', ' one']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ itemsReceived: 2, deliveredChunks: 2, partialText: 'Echo: one', kind: 'network' });
    expect(error.message).toBe('The stream of LLMExecutor.executeStream broke after 2 items (network)');
    expect(error.cause).toBeDefined();
    expect(server.requests).toHaveLength(1);
    expect(env.tracer.named('retry_not_retryable')).toEqual([
      expect.objectContaining({ attempt: 1, reason: 'stream_started' }),
    ]);
  });

  it('streams from Azure OpenAI too', async () => {
    const server = await env.startServer({ script: ['stream-cut:0'] });
    const { items } = await drain(new LLMExecutor().executeStream(azureConfig(server), userMessages(words)));
    expect(items.join('')).toBe(`Echo: ${words}`);
    expect(server.requests.map((request) => request.deployment)).toEqual(['gpt-4o', 'gpt-4o']);
  });
});

describe("the caller's signal", () => {
  it('aborts a text call whose request hangs (1 request, the abort reason)', async () => {
    const server = await env.startServer({ script: ['hang'] });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const call = new LLMExecutor().executeText(openaiConfig(server), userMessages(), { signal: controller.signal });
    await untilRequests(server, 1);
    controller.abort(reason);
    expect(await rejectionOf(call)).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a text call during its Retry-After wait, at once', async () => {
    const server = await env.startServer({ script: ['429:10000'] });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const start = realNow();
    const call = new LLMExecutor().executeText(openaiConfig(server), userMessages(), { signal: controller.signal });
    await untilRequests(server, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    expect(await rejectionOf(call)).toBe(reason);
    expect(realNow() - start).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a stream whose request hangs before its first chunk', async () => {
    const server = await env.startServer({ script: ['hang'] });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const stream = drain(
      new LLMExecutor().executeStream(openaiConfig(server), userMessages(), { signal: controller.signal }),
    );
    await untilRequests(server, 1);
    controller.abort(reason);
    const { items, error } = await stream;
    expect(items).toEqual([]);
    expect(error).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('a signal already aborted starts no request', async () => {
    const server = await env.startServer();
    const signal = AbortSignal.abort(new Error('too late'));
    const executor = new LLMExecutor();
    await expect(executor.executeText(openaiConfig(server), userMessages(), { signal })).rejects.toThrow('too late');
    expect((await drain(executor.executeStream(openaiConfig(server), userMessages(), { signal }))).error?.message).toBe(
      'too late',
    );
    expect(server.requests).toHaveLength(0);
  });
});
