/**
 * AgentConfig: every field's rule, unknown keys, nested paths (retryConfig, fallbacks[i]),
 * cross-field rules, all issues in one RetryConfigError; the API key readable by code but
 * never serialised, inspected or echoed; environment keys read at client creation; what a
 * fallback inherits from its primary.
 */
import { inspect } from 'node:util';
import {
  AgentConfig,
  AgentConfigInput,
  isAgentConfig,
  isRetryConfig,
  isRetryConfigError,
  LLMProvider,
  LLMServiceFactory,
  ResilientLLMService,
  RETRY_DEFAULTS,
  RetryConfig,
  RetryConfigError,
} from '../../src';
import { AZURE_KEY, OPENAI_KEY, rejectionOf, useLLMTestEnvironment, userMessages } from './helpers';

const env = useLLMTestEnvironment();

const valid: AgentConfigInput = { provider: LLMProvider.OPENAI, model: 'gpt-4o-mini' };

/** The error `new AgentConfig(input)` throws (fails the test when it does not). */
function configError(input: unknown): RetryConfigError {
  try {
    new AgentConfig(input as AgentConfigInput);
  } catch (error) {
    expect(isRetryConfigError(error)).toBe(true);
    expect(error).toBeInstanceOf(RetryConfigError);
    return error as RetryConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('validation', () => {
  it('accepts a minimal config and fills the defaults', () => {
    const config = new AgentConfig(valid);
    expect(isAgentConfig(config)).toBe(true);
    expect(config.provider).toBe('openai');
    expect(config.model).toBe('gpt-4o-mini');
    expect(config.apiKey).toBeUndefined();
    expect(isRetryConfig(config.retryConfig)).toBe(true);
    expect(config.retryConfig.maxAttempts).toBe(RETRY_DEFAULTS.maxAttempts);
    expect(config.retryConfig.baseDelayMs).toBe(RETRY_DEFAULTS.baseDelayMs);
    expect(config.label).toBe('gpt-4o-mini');
    expect(new AgentConfig({ ...valid, name: 'support-bot' }).label).toBe('support-bot');
    expect(config.fallbackConfigs()).toEqual([]);
  });

  it('accepts the provider as the enum or its string value, and a RetryConfig instance', () => {
    const retryConfig = new RetryConfig({ maxAttempts: 5 });
    const config = new AgentConfig({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://r.openai.azure.com',
      retryConfig,
    });
    expect(config.provider).toBe(LLMProvider.AZURE_OPENAI);
    expect(config.retryConfig.maxAttempts).toBe(5);
  });

  it('AgentConfig.from validates plain input and returns an AgentConfig as is', () => {
    const config = AgentConfig.from(
      JSON.parse('{"provider":"openai","model":"gpt-4o","retryConfig":{"maxAttempts":4}}'),
    );
    expect(isAgentConfig(config)).toBe(true);
    expect(config.retryConfig.maxAttempts).toBe(4);
    expect(AgentConfig.from(config)).toBe(config);
    expect(() => AgentConfig.from(JSON.parse('{"provider":"openai"}'))).toThrow(RetryConfigError);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'provider (missing)',
      { provider: undefined },
      'provider must be one of openai, azure_openai (received undefined)',
    ],
    [
      'provider (unknown)',
      { provider: 'anthropic' },
      `provider must be one of openai, azure_openai (received "anthropic")`,
    ],
    ['model (missing)', { model: undefined }, 'model must be a string (received undefined)'],
    ['model (not a string)', { model: 42 }, 'model must be a string (received 42)'],
    ['model (empty)', { model: '' }, 'model must not be empty (received "")'],
    ['baseURL (not a URL)', { baseURL: 'not a url' }, 'baseURL must be an http(s) URL'],
    ['baseURL (not http)', { baseURL: 'ftp://example.com/v1' }, 'baseURL must be an http(s) URL'],
    ['endpoint (not a URL)', { endpoint: 'my-resource' }, 'endpoint must be an http(s) URL'],
    ['apiVersion (empty)', { apiVersion: '' }, 'apiVersion must not be empty (received "")'],
    ['apiVersion (not a string)', { apiVersion: 20241021 }, 'apiVersion must be a string (received 20241021)'],
    ['apiKey (empty)', { apiKey: '' }, 'apiKey must not be empty (received a string of 0 characters)'],
    ['apiKey (not a string)', { apiKey: 12345 }, 'apiKey must be a string (received a number)'],
    [
      'azureADTokenProvider',
      { azureADTokenProvider: 'a-token' },
      'azureADTokenProvider must be a function returning a promise of a token',
    ],
    ['api (unknown)', { api: 'completions' }, 'api must be one of chat, responses (received "completions")'],
    ['api (not a string)', { api: 1 }, 'api must be one of chat, responses (received 1)'],
    ['name (empty)', { name: '' }, 'name must not be empty (received "")'],
    ['name (not a string)', { name: 7 }, 'name must be a string (received 7)'],
    ['retryConfig (not an object)', { retryConfig: 'fast' }, 'retryConfig must be a plain object'],
    [
      'fallbacks (not an array)',
      { fallbacks: { model: 'gpt-4o' } },
      'fallbacks must be an array of partial agent configs',
    ],
  ])('%s', (_, change, message) => {
    const error = configError({ ...valid, ...change });
    expect(error.issues).toEqual([{ field: message.split(' ')[0], message }]);
    expect(error.message).toBe(message);
  });

  it('rejects input that is not a plain object', () => {
    for (const input of [null, undefined, 'openai', [valid], new Map()]) {
      expect(configError(input).issues).toEqual([
        { field: 'agentConfig', message: 'agentConfig must be a plain object' },
      ]);
    }
  });

  it('rejects unknown keys, suggesting the closest field', () => {
    const error = configError({ ...valid, modle: 'gpt-4o', apikey: 'x', baseUrl: 'http://x', xyzzy: 1 });
    expect(error.issues).toEqual([
      { field: 'modle', message: 'modle is not an AgentConfig field (did you mean model?)' },
      { field: 'apikey', message: 'apikey is not an AgentConfig field (did you mean apiKey?)' },
      { field: 'baseUrl', message: 'baseUrl is not an AgentConfig field (did you mean baseURL?)' },
      { field: 'xyzzy', message: 'xyzzy is not an AgentConfig field' },
    ]);
  });

  it('names nested retryConfig fields by their path', () => {
    const error = configError({ ...valid, retryConfig: { maxAttempts: 11, baseDelayMs: 50, maxAtempts: 2 } });
    expect(error.issues).toEqual([
      {
        field: 'retryConfig.maxAtempts',
        message: 'retryConfig.maxAtempts is not a retry option (did you mean maxAttempts?)',
      },
      {
        field: 'retryConfig.maxAttempts',
        message: 'retryConfig.maxAttempts must not be greater than 10 (received 11)',
      },
      { field: 'retryConfig.baseDelayMs', message: 'retryConfig.baseDelayMs must not be less than 100 (received 50)' },
    ]);
  });

  it('names fallback fields by their index path, nested retryConfig included', () => {
    const error = configError({
      ...valid,
      fallbacks: [{ model: '' }, { retryConfig: { maxAttempts: 0 } }, { model: 'gpt-4o', modle: 'x' }],
    });
    expect(error.issues).toEqual([
      { field: 'fallbacks[0].model', message: 'fallbacks[0].model must not be empty (received "")' },
      {
        field: 'fallbacks[1].retryConfig.maxAttempts',
        message: 'fallbacks[1].retryConfig.maxAttempts must not be less than 1 (received 0)',
      },
      { field: 'fallbacks[2].modle', message: 'fallbacks[2].modle is not an AgentConfig field (did you mean model?)' },
    ]);
  });

  it('requires an endpoint or a baseURL for Azure OpenAI', () => {
    const error = configError({ provider: 'azure_openai', model: 'gpt-4o' });
    expect(error.issues).toEqual([
      { field: 'endpoint', message: 'endpoint is required when provider is azure_openai (or give baseURL)' },
    ]);
    expect(
      () => new AgentConfig({ provider: 'azure_openai', model: 'gpt-4o', endpoint: 'https://r.openai.azure.com' }),
    ).not.toThrow();
    expect(
      () =>
        new AgentConfig({ provider: 'azure_openai', model: 'gpt-4o', baseURL: 'https://r.openai.azure.com/openai' }),
    ).not.toThrow();
    // OpenAI needs neither.
    expect(() => new AgentConfig(valid)).not.toThrow();
  });

  it('makes apiKey and azureADTokenProvider mutually exclusive', () => {
    const error = configError({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://r.openai.azure.com',
      apiKey: AZURE_KEY,
      azureADTokenProvider: async () => 'token',
    });
    expect(error.issues).toEqual([
      { field: 'apiKey', message: 'apiKey and azureADTokenProvider are mutually exclusive: give one' },
    ]);
    expect(error.message).not.toContain(AZURE_KEY);
  });

  it('lists every issue in one RetryConfigError', () => {
    const error = configError({
      provider: 'azure_openai',
      model: '',
      apiVersion: '',
      name: '',
      colour: 'blue',
      retryConfig: { maxAttempts: 0 },
      fallbacks: [{ model: 'gpt-4o', retryConfig: { jitter: 'sometimes' } }],
    });
    const fields = error.issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'colour',
        'retryConfig.maxAttempts',
        'model',
        'apiVersion',
        'name',
        'endpoint',
        'fallbacks[0].retryConfig.jitter',
      ]),
    );
    expect(error.message).toBe(error.issues.map((issue) => issue.message).join('; '));
    expect(error.name).toBe('RetryConfigError');
  });
});

describe('the API key', () => {
  const secretConfig = () =>
    new AgentConfig({
      provider: 'openai',
      model: 'gpt-4o-mini',
      apiKey: OPENAI_KEY,
      name: 'support-bot',
      fallbacks: [{ model: 'gpt-4o' }],
    });

  it('is readable (and settable) by code', () => {
    const config = secretConfig();
    expect(config.apiKey).toBe(OPENAI_KEY);
    expect(config.fallbackConfigs()[0].apiKey).toBe(OPENAI_KEY);
    config.apiKey = 'sk-rotated';
    expect(config.apiKey).toBe('sk-rotated');
  });

  it('is absent from JSON.stringify, util.inspect (default and showHidden), String() and own keys', () => {
    const config = secretConfig();
    const renderings = [
      JSON.stringify(config),
      JSON.stringify({ wrapped: config }),
      inspect(config),
      inspect(config, { showHidden: true, depth: Infinity }),
      inspect(config, { showHidden: true, getters: true }),
      String(config),
      `${config}`,
      JSON.stringify({ ...config }),
    ];
    for (const text of renderings) expect(text).not.toContain(OPENAI_KEY);
    expect(Object.keys(config)).not.toContain('apiKey');
    expect(JSON.parse(JSON.stringify(config))).toMatchObject({
      provider: 'openai',
      model: 'gpt-4o-mini',
      name: 'support-bot',
    });
  });

  it('is absent from validation errors, also when it is itself a bad value', () => {
    const withOtherIssue = configError({
      ...valid,
      apiKey: OPENAI_KEY,
      model: '',
      baseURL: `https://x y/${OPENAI_KEY}`,
    });
    const rendered = [
      withOtherIssue.message,
      JSON.stringify(withOtherIssue.issues),
      inspect(withOtherIssue),
      String(withOtherIssue),
    ];
    // The URL is not echoed either: it may carry a key in its query string.
    for (const text of rendered) expect(text).not.toContain(OPENAI_KEY);

    const misspelt = configError({ ...valid, apikey: OPENAI_KEY });
    expect(misspelt.message).not.toContain(OPENAI_KEY);
    const inFallback = configError({ ...valid, fallbacks: [{ apiKey: OPENAI_KEY, model: '' }] });
    expect(inFallback.message).not.toContain(OPENAI_KEY);
  });
});

describe('environment keys', () => {
  const ENV_OPENAI = 'sk-proj-ENVKEYf00dfeedc0ffee1234567890abcdefABCDEF';

  it('are not needed to validate a config', () => {
    const config = new AgentConfig(valid);
    expect(config.apiKey).toBeUndefined();
    expect(() => new LLMServiceFactory({ env: {} }).createClient(config)).toThrow(/OPENAI_API_KEY/);
  });

  it('are read when a client is created, not when the config is validated', () => {
    const keys: Record<string, string | undefined> = {};
    const factory = new LLMServiceFactory({ env: keys });
    const openai = new AgentConfig(valid);
    const azure = new AgentConfig({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://r.openai.azure.com',
    });
    // Set only after validation: still found.
    keys.OPENAI_API_KEY = ENV_OPENAI;
    keys.AZURE_OPENAI_API_KEY = AZURE_KEY;
    expect(factory.createClient(openai).apiKey).toBe(ENV_OPENAI);
    expect(factory.createClient(azure).apiKey).toBe(AZURE_KEY);
    // Changed later: the next client sees the new value; the config never stored it.
    keys.OPENAI_API_KEY = 'sk-second';
    expect(factory.createClient(openai).apiKey).toBe('sk-second');
    expect(openai.apiKey).toBeUndefined();
  });

  it('read the variable of the config provider only', () => {
    const factory = new LLMServiceFactory({ env: { AZURE_OPENAI_API_KEY: AZURE_KEY } });
    const error = (() => {
      try {
        factory.createClient(new AgentConfig(valid));
      } catch (caught) {
        return caught as RetryConfigError;
      }
      throw new Error('expected createClient to throw');
    })();
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(error.message).not.toContain(AZURE_KEY);
  });

  it('lose to a key given in the config', () => {
    const factory = new LLMServiceFactory({ env: { OPENAI_API_KEY: ENV_OPENAI } });
    expect(factory.createClient(new AgentConfig({ ...valid, apiKey: OPENAI_KEY })).apiKey).toBe(OPENAI_KEY);
  });

  it('reach the server as the credential of a real call', async () => {
    const server = await env.startServer();
    const service = new ResilientLLMService({
      factory: new LLMServiceFactory({ env: { OPENAI_API_KEY: ENV_OPENAI } }),
    });
    const config = new AgentConfig({ ...valid, baseURL: server.openaiBaseURL });
    await service.resilientChatCompletion(config, { messages: userMessages('hi') });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${ENV_OPENAI}`);
    // Without a key anywhere the call fails before any request, naming the variable.
    const none = new ResilientLLMService({ factory: new LLMServiceFactory({ env: {} }) });
    const error = await rejectionOf(
      none.resilientChatCompletion(new AgentConfig({ ...valid, baseURL: server.openaiBaseURL }), {
        messages: userMessages(),
      }),
    );
    expect(isRetryConfigError(error) || isRetryConfigError(error.originalError)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe('fallback inheritance', () => {
  it('inherits provider, baseURL, endpoint, apiVersion, key, token provider and retryConfig, but not the name', () => {
    const config = new AgentConfig({
      provider: 'openai',
      model: 'gpt-4o-mini',
      baseURL: 'http://127.0.0.1:9/v1',
      apiKey: OPENAI_KEY,
      name: 'primary',
      retryConfig: { maxAttempts: 5, baseDelayMs: 200 },
      fallbacks: [{ model: 'gpt-4o' }],
    });
    const [fallback] = config.fallbackConfigs();
    expect(isAgentConfig(fallback)).toBe(true);
    expect(fallback.provider).toBe('openai');
    expect(fallback.model).toBe('gpt-4o');
    expect(fallback.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(fallback.apiKey).toBe(OPENAI_KEY);
    expect(fallback.retryConfig.maxAttempts).toBe(5);
    expect(fallback.retryConfig.baseDelayMs).toBe(200);
    expect(fallback.name).toBeUndefined();
    expect(fallback.label).toBe('gpt-4o');

    const tokenProvider = async () => 'token';
    const azure = new AgentConfig({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://a.openai.azure.com',
      apiVersion: '2025-01-01-preview',
      azureADTokenProvider: tokenProvider,
      fallbacks: [{ endpoint: 'https://b.openai.azure.com' }],
    });
    const [azureFallback] = azure.fallbackConfigs();
    expect(azureFallback).toMatchObject({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://b.openai.azure.com',
      apiVersion: '2025-01-01-preview',
    });
    expect(azureFallback.azureADTokenProvider).toBe(tokenProvider);
  });

  it('keeps what a fallback sets itself, in order', () => {
    const config = new AgentConfig({
      ...valid,
      apiKey: OPENAI_KEY,
      retryConfig: { maxAttempts: 5 },
      fallbacks: [
        { model: 'gpt-4o', name: 'backup', retryConfig: { maxAttempts: 2 } },
        { model: 'gpt-4.1-mini', baseURL: 'https://proxy.example.com/v1' },
      ],
    });
    const [first, second] = config.fallbackConfigs();
    expect(first.label).toBe('backup');
    expect(first.retryConfig.maxAttempts).toBe(2);
    expect(second.model).toBe('gpt-4.1-mini');
    expect(second.baseURL).toBe('https://proxy.example.com/v1');
    expect(second.retryConfig.maxAttempts).toBe(5);
    expect(second.apiKey).toBe(OPENAI_KEY);
  });

  it('does not put the inherited key in the serialised config', () => {
    const config = new AgentConfig({
      ...valid,
      apiKey: OPENAI_KEY,
      fallbacks: [{ model: 'gpt-4o' }, { name: 'same-model' }],
    });
    expect(JSON.stringify(config)).not.toContain(OPENAI_KEY);
    expect(inspect(config, { showHidden: true, depth: Infinity })).not.toContain(OPENAI_KEY);
    expect(JSON.stringify(config.fallbackConfigs())).not.toContain(OPENAI_KEY);
  });
});

describe('api', () => {
  const base = { provider: 'openai' as const, model: 'gpt-4o-mini' };

  it("is unset by default (the executor then uses 'chat'), and accepts 'chat' and 'responses'", () => {
    expect(new AgentConfig(base).api).toBeUndefined();
    expect(new AgentConfig({ ...base, api: 'chat' }).api).toBe('chat');
    expect(new AgentConfig({ ...base, api: 'responses' }).api).toBe('responses');
    expect(JSON.parse(JSON.stringify(new AgentConfig({ ...base, api: 'responses' })))).toMatchObject({
      api: 'responses',
    });
    expect(Object.keys(JSON.parse(JSON.stringify(new AgentConfig(base))))).not.toContain('api');
  });

  it('is inherited by fallbacks (also of another provider), unless a fallback sets its own', () => {
    const config = new AgentConfig({
      ...base,
      api: 'responses',
      fallbacks: [
        { model: 'gpt-4o' },
        { api: 'chat' },
        { provider: 'azure_openai', endpoint: 'https://r.openai.azure.com' },
        new AgentConfig({ ...base, model: 'built' }),
      ],
    });
    expect(config.fallbackConfigs().map((fallback) => fallback.api)).toEqual([
      'responses',
      'chat',
      'responses',
      'responses',
    ]);
  });

  it('names a fallback whose api is wrong by its path', () => {
    const error = configError({ ...base, fallbacks: [{ api: 'assistants' }] });
    expect(error.issues).toEqual([
      { field: 'fallbacks[0].api', message: 'fallbacks[0].api must be one of chat, responses (received "assistants")' },
    ]);
  });
});
