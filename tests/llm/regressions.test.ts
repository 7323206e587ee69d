// Contract points found broken once (see the commit that added this file); each stays fixed.
import { inspect } from 'node:util';
import { AgentConfig, LLMExecutor, LLMServiceFactory, ResilientLLMService } from '../../src';
import {
  AZURE_KEY,
  OPENAI_KEY,
  azureConfig,
  faultsSeen,
  openaiConfig,
  rejectionOf,
  useLLMTestEnvironment,
  userMessages,
} from './helpers';

const env = useLLMTestEnvironment();

test("a fallback's own apiKey stays out of JSON.stringify and util.inspect", () => {
  const config = new AgentConfig({
    provider: 'openai',
    model: 'gpt-4o-mini',
    apiKey: OPENAI_KEY,
    fallbacks: [{ model: 'gpt-4o', apiKey: 'sk-proj-FALLBACKSECRET0123456789' }],
  });
  expect(JSON.stringify(config)).not.toContain('FALLBACKSECRET');
  expect(inspect(config)).not.toContain('FALLBACKSECRET');
  expect(config.fallbackConfigs()[0].apiKey).toBe('sk-proj-FALLBACKSECRET0123456789');
});

test('util.inspect with showHidden and getters does not print the key', () => {
  const config = new AgentConfig({ provider: 'openai', model: 'gpt-4o-mini', apiKey: OPENAI_KEY });
  expect(inspect(config, { showHidden: true, getters: true })).not.toContain(OPENAI_KEY);
  expect(JSON.parse(JSON.stringify(config)).apiKey).toBeUndefined();
});

test('AZURE_OPENAI_API_KEY in process.env does not break a config using azureADTokenProvider', () => {
  process.env.AZURE_OPENAI_API_KEY = AZURE_KEY;
  try {
    const config = new AgentConfig({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://r.openai.azure.com',
      azureADTokenProvider: async () => 'token',
    });
    expect(() => new LLMServiceFactory().createClient(config)).not.toThrow();
  } finally {
    delete process.env.AZURE_OPENAI_API_KEY;
  }
});

test('OPENAI_BASE_URL in process.env does not break an Azure config with an endpoint', () => {
  process.env.OPENAI_BASE_URL = 'https://proxy.example.com/v1';
  try {
    const config = new AgentConfig({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://r.openai.azure.com',
      apiKey: AZURE_KEY,
    });
    expect(() => new LLMServiceFactory().createClient(config)).not.toThrow();
  } finally {
    delete process.env.OPENAI_BASE_URL;
  }
});

test('attempts that all time out end with kind timeout and the timeout safe message', async () => {
  const server = await env.startServer({ script: ['hang', 'hang', 'hang'] });
  const error = await rejectionOf(
    new ResilientLLMService().resilientChatCompletion(
      openaiConfig(server, { retryConfig: { baseDelayMs: 100, attemptTimeoutMs: 20 } }),
      { messages: userMessages() },
    ),
  );
  expect(error.kind).toBe('timeout');
  expect(error.message).toBe('The LLM service did not respond in time (after 3 attempts)');
});

test('a primary exhausted by attempt timeouts moves on to its fallback', async () => {
  const server = await env.startServer({ script: ['hang', 'hang', 'hang', 'ok'] });
  const completion = await new ResilientLLMService().resilientChatCompletion(
    // 250 ms: the fallback's 'ok' must answer within it, even on a loaded machine.
    openaiConfig(server, {
      retryConfig: { baseDelayMs: 100, attemptTimeoutMs: 250 },
      fallbacks: [{ model: 'gpt-4o' }],
    }),
    { messages: userMessages() },
  );
  expect(completion.model).toBe('gpt-4o');
});

test('a call cut by totalTimeoutMs ends with kind timeout', async () => {
  const server = await env.startServer({ script: ['hang'] });
  const error = await rejectionOf(
    new ResilientLLMService().resilientChatCompletion(
      openaiConfig(server, { retryConfig: { baseDelayMs: 100, totalTimeoutMs: 30 } }),
      { messages: userMessages() },
    ),
  );
  expect(error.originalError.name).toBe('RetryTimeoutError');
  expect(error.kind).toBe('timeout');
});

test("the caller's abort after the first chunk stops the stream", async () => {
  const server = await env.startServer();
  const controller = new AbortController();
  const items: string[] = [];
  let error: unknown;
  try {
    const stream = new LLMExecutor().executeStream(openaiConfig(server), userMessages('a b c d e f g h i j'), {
      signal: controller.signal,
    });
    for await (const delta of stream) {
      items.push(delta);
      if (items.length === 2) controller.abort();
    }
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeDefined();
  expect(items.length).toBeLessThan(11);
});

test("a caller abort with its own reason is kind 'aborted'", async () => {
  const server = await env.startServer({ script: ['429:10000'] });
  const controller = new AbortController();
  const call = new ResilientLLMService().resilientChatCompletion(openaiConfig(server), {
    messages: userMessages(),
    signal: controller.signal,
  });
  while (server.requests.length < 1) await new Promise((resolve) => setImmediate(resolve));
  controller.abort(new Error('user navigated away'));
  const error = await rejectionOf(call);
  expect(error.kind).toBe('aborted');
  expect(error.message).toBe('The request was cancelled');
});

test("any azureADTokenProvider failure is kind 'auth' and not retried", async () => {
  const server = await env.startServer();
  const provider = jest.fn(async (): Promise<string> => {
    throw Object.assign(new Error('token endpoint unreachable'), { code: 'ECONNRESET' });
  });
  const error = await rejectionOf(
    new ResilientLLMService().resilientChatCompletion(azureConfig(server, { azureADTokenProvider: provider }), {
      messages: userMessages(),
    }),
  );
  expect(provider).toHaveBeenCalledTimes(1);
  expect(error.kind).toBe('auth');
  await expect(
    new LLMServiceFactory().setupAzureService(azureConfig(server, { azureADTokenProvider: provider })),
  ).rejects.toMatchObject({
    name: 'TokenProviderError',
  });
  expect(provider).toHaveBeenCalledTimes(2);
});

test('a 200 whose JSON body is malformed is retried', async () => {
  const server = await env.startServer({ script: ['malformed-json', 'ok'] });
  await new ResilientLLMService().resilientChatCompletion(openaiConfig(server), { messages: userMessages() });
  expect(faultsSeen(server)).toEqual(['malformed-json', 'ok']);
});

test('a fallback to another provider inherits neither its endpoint nor its key', () => {
  const config = new AgentConfig({
    provider: 'openai',
    model: 'gpt-4o-mini',
    apiKey: OPENAI_KEY,
    fallbacks: [{ provider: 'azure_openai', model: 'gpt-4o', endpoint: 'https://r.openai.azure.com' }],
  });
  expect(config.fallbackConfigs()[0].apiKey).toBeUndefined();
  expect(config.fallbackConfigs()[0].retryConfig).toEqual(config.retryConfig);
});

test('a fallback may use azureADTokenProvider under a primary that has an apiKey', () => {
  const config = new AgentConfig({
    provider: 'azure_openai',
    model: 'gpt-4o',
    endpoint: 'https://a.openai.azure.com',
    apiKey: AZURE_KEY,
    fallbacks: [{ endpoint: 'https://b.openai.azure.com', azureADTokenProvider: async () => 'token' }],
  });
  expect(config.fallbackConfigs()[0].apiKey).toBeUndefined();
});

test('an invalid primary field is reported once, not again under every fallback', () => {
  let issues: Array<{ field: string }> = [];
  try {
    new AgentConfig({ provider: 'openai', model: 'm', baseURL: 'nope', fallbacks: [{ model: 'a' }, { model: '' }] });
  } catch (error) {
    issues = (error as { issues: Array<{ field: string }> }).issues;
  }
  expect(issues.map((issue) => issue.field)).toEqual(['baseURL', 'fallbacks[1].model']);
});
