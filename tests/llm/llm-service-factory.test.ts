/**
 * LLMServiceFactory with the real `openai` clients: OpenAI / AzureOpenAI with the SDK's own
 * retries off, Azure's deployment URL and `api-key` header as the fault server sees them,
 * missing keys, the set-up methods (token provider retried on a transient failure, never on
 * a credential error), and warnIfSdkRetries.
 */
import { CredentialUnavailableError } from '@azure/identity';
import OpenAI, { AzureOpenAI } from 'openai';
import {
  AgentConfig,
  configureResilience,
  isRetryConfigError,
  LLMServiceFactory,
  RetryConfigError,
  warnIfSdkRetries,
} from '../../src';
import { createTestLogger } from '../support/test-logger';
import {
  AZURE_API_VERSION,
  AZURE_KEY,
  azureConfig,
  className,
  OPENAI_KEY,
  openaiConfig,
  rejectionOf,
  useLLMTestEnvironment,
  userMessages,
} from './helpers';

const env = useLLMTestEnvironment();

/** What a synchronous call throws. */
function thrownBy(fn: () => unknown): any {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createClient', () => {
  it('returns an OpenAI client, synchronously, with maxRetries 0 and the config baseURL and key', async () => {
    const server = await env.startServer();
    const client = new LLMServiceFactory().createClient(openaiConfig(server));
    expect(client).not.toBeInstanceOf(Promise);
    expect(className(client)).toBe('OpenAI');
    expect(client.maxRetries).toBe(0);
    expect(client.baseURL).toBe(server.openaiBaseURL);

    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: userMessages('hi') });
    expect(completion.choices[0].message.content).toBe('Echo: hi');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ path: '/v1/chat/completions', provider: 'openai' });
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('accepts plain config input', async () => {
    const server = await env.startServer();
    const client = new LLMServiceFactory().createClient({
      provider: 'openai',
      model: 'gpt-4o',
      baseURL: server.openaiBaseURL,
      apiKey: OPENAI_KEY,
    });
    expect(className(client)).toBe('OpenAI');
    expect(() => new LLMServiceFactory().createClient({ provider: 'openai' })).toThrow(RetryConfigError);
  });

  it('returns an AzureOpenAI client that posts to the deployment URL with an api-key header', async () => {
    const server = await env.startServer();
    const client = new LLMServiceFactory().createClient(azureConfig(server));
    expect(className(client)).toBe('AzureOpenAI');
    expect(client).toBeInstanceOf(AzureOpenAI);
    expect(client.maxRetries).toBe(0);

    const completion = await client.chat.completions.create({
      model: 'ignored-by-azure',
      messages: userMessages('hello azure'),
    });
    expect(completion.choices[0].message.content).toBe('Echo: hello azure');
    const [request] = server.requests;
    expect(request.path).toBe('/openai/deployments/gpt-4o/chat/completions');
    expect(request.query).toEqual({ 'api-version': AZURE_API_VERSION });
    expect(request.provider).toBe('azure');
    expect(request.deployment).toBe('gpt-4o');
    expect(request.headers['api-key']).toBe(AZURE_KEY);
    expect(request.headers.authorization).toBeUndefined();
  });

  it('uses the default Azure API version unless the config names one', async () => {
    const server = await env.startServer();
    const factory = new LLMServiceFactory();
    const byDefault = factory.createClient(
      new AgentConfig({ provider: 'azure_openai', model: 'gpt-4o', endpoint: server.azureEndpoint, apiKey: AZURE_KEY }),
    );
    const preview = factory.createClient(
      azureConfig(server, { model: 'gpt-4o-mini', apiVersion: '2025-01-01-preview' }),
    );
    await byDefault.chat.completions.create({ model: 'gpt-4o', messages: userMessages('a') });
    await preview.chat.completions.create({ model: 'gpt-4o-mini', messages: userMessages('b') });
    expect(server.requests.map((request) => [request.path, request.query['api-version']])).toEqual([
      ['/openai/deployments/gpt-4o/chat/completions', '2024-10-21'],
      ['/openai/deployments/gpt-4o-mini/chat/completions', '2025-01-01-preview'],
    ]);
  });

  it('sends the bearer token of an azureADTokenProvider instead of an api-key', async () => {
    const server = await env.startServer();
    const client = new LLMServiceFactory().createClient(
      azureConfig(server, { azureADTokenProvider: async () => 'entra-token' }),
    );
    await client.chat.completions.create({ model: 'gpt-4o', messages: userMessages('x') });
    expect(server.requests[0].headers.authorization).toBe('Bearer entra-token');
    expect(server.requests[0].headers['api-key']).toBeUndefined();
  });

  it('throws a RetryConfigError naming the variable when no key is found, with no key in it', () => {
    const openai = new AgentConfig({ provider: 'openai', model: 'gpt-4o-mini' });
    const azure = new AgentConfig({
      provider: 'azure_openai',
      model: 'gpt-4o',
      endpoint: 'https://r.openai.azure.com',
    });
    // Each provider reads its own variable; the other one's key must not show up in the message.
    const otherKeys = new LLMServiceFactory({ env: { OPENAI_API_KEY: OPENAI_KEY, AZURE_OPENAI_API_KEY: undefined } });
    const blank = new LLMServiceFactory({ env: { OPENAI_API_KEY: '   ', AZURE_OPENAI_API_KEY: AZURE_KEY } });

    const azureError = thrownBy(() => otherKeys.createClient(azure));
    expect(isRetryConfigError(azureError)).toBe(true);
    expect(azureError.message).toContain('AZURE_OPENAI_API_KEY');
    expect(azureError.issues).toEqual([{ field: 'apiKey', message: expect.stringContaining('AZURE_OPENAI_API_KEY') }]);

    const openaiError = thrownBy(() => blank.createClient(openai));
    expect(isRetryConfigError(openaiError)).toBe(true);
    expect(openaiError.message).toContain('OPENAI_API_KEY');

    for (const error of [azureError, openaiError]) {
      const text = `${error.message} ${JSON.stringify(error.issues)} ${String(error)}`;
      expect(text).not.toContain(OPENAI_KEY);
      expect(text).not.toContain(AZURE_KEY);
    }
    // Not retried: a missing key will not appear by trying again.
    expect(env.log.at('warn')).toEqual([]);
  });
});

describe('setupOpenAIService / setupAzureService', () => {
  it('setupOpenAIService resolves to { client } with an OpenAI client', async () => {
    const server = await env.startServer();
    const result = await new LLMServiceFactory().setupOpenAIService(openaiConfig(server));
    expect(Object.keys(result)).toEqual(['client']);
    expect(result.client).toBeInstanceOf(OpenAI);
    expect(className(result.client)).toBe('OpenAI');
    expect(result.client.maxRetries).toBe(0);
  });

  it('setupAzureService resolves to { client } with a key, { client, credential } with a token provider', async () => {
    const server = await env.startServer();
    const factory = new LLMServiceFactory();
    const withKey = await factory.setupAzureService(azureConfig(server));
    expect(Object.keys(withKey)).toEqual(['client']);
    expect(className(withKey.client)).toBe('AzureOpenAI');
    expect(withKey.client.maxRetries).toBe(0);

    const tokenProvider = jest.fn(async () => 'entra-token');
    const withToken = await factory.setupAzureService(azureConfig(server, { azureADTokenProvider: tokenProvider }));
    expect(Object.keys(withToken).sort()).toEqual(['client', 'credential']);
    expect(withToken.credential).toBe(tokenProvider);
    expect(className(withToken.client)).toBe('AzureOpenAI');
    // A first token is fetched during set-up, so a credential that cannot work fails there.
    expect(tokenProvider).toHaveBeenCalledTimes(1);
  });

  it('reject a config of the other provider with a TypeError', async () => {
    const server = await env.startServer();
    const factory = new LLMServiceFactory();
    await expect(factory.setupOpenAIService(azureConfig(server))).rejects.toThrow(TypeError);
    await expect(factory.setupAzureService(openaiConfig(server))).rejects.toThrow(TypeError);
  });

  it('setupAzureService fetches a first token and returns a working client with the credential', async () => {
    const server = await env.startServer();
    const tokenProvider = jest.fn(async () => 'entra-token');
    const { client, credential } = await new LLMServiceFactory().setupAzureService(
      azureConfig(server, { azureADTokenProvider: tokenProvider }),
    );
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    expect(credential).toBe(tokenProvider);
    await client.chat.completions.create({ model: 'gpt-4o', messages: userMessages('x') });
    expect(server.requests[0].headers.authorization).toBe('Bearer entra-token');
  });

  it('setupAzureService does not retry any token provider failure: a network error becomes TokenProviderError (auth)', async () => {
    const server = await env.startServer();
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const tokenProvider = jest.fn(async (): Promise<string> => {
      throw cause;
    });
    const error = await rejectionOf(
      new LLMServiceFactory().setupAzureService(azureConfig(server, { azureADTokenProvider: tokenProvider })),
    );
    expect(error.name).toBe('TokenProviderError');
    expect(error.cause).toBe(cause);
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    // Not retried, and said at warn: a credential that fails needs someone to act.
    expect(env.log.at('debug')).toEqual([]);
    expect(env.log.at('warn')).toEqual([
      expect.objectContaining({ method: 'LLMServiceFactory.setupAzureService', kind: 'auth' }),
    ]);
  });

  it('setupAzureService does not retry a CredentialUnavailableError from @azure/identity', async () => {
    const server = await env.startServer();
    const credentialError = new CredentialUnavailableError(
      'ManagedIdentityCredential: no managed identity endpoint found',
    );
    const tokenProvider = jest.fn(async (): Promise<string> => {
      throw credentialError;
    });
    const error = await rejectionOf(
      new LLMServiceFactory().setupAzureService(azureConfig(server, { azureADTokenProvider: tokenProvider })),
    );
    expect(error).toBe(credentialError);
    expect(error.name).toBe('CredentialUnavailableError');
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    expect(env.log.at('debug')).toEqual([]);
    expect(env.log.at('warn')).toEqual([
      expect.objectContaining({
        method: 'LLMServiceFactory.setupAzureService',
        kind: 'auth',
        errorType: 'CredentialUnavailableError',
      }),
    ]);
    expect(server.requests).toEqual([]);
  });

  it('set-up failures are logged through the factory logger, not the configured one', async () => {
    const server = await env.startServer();
    const own = createTestLogger();
    const tokenProvider = async (): Promise<string> => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const error = await rejectionOf(
      new LLMServiceFactory({ logger: own.logger }).setupAzureService(
        azureConfig(server, { azureADTokenProvider: tokenProvider }),
      ),
    );
    expect(error.cause.code).toBe('ECONNREFUSED');
    expect(own.at('warn')).toHaveLength(1);
    expect(env.log.transport.entries).toEqual([]);
  });
});

describe('warnIfSdkRetries', () => {
  it('warns once per client that retries by itself', () => {
    const client = new OpenAI({ apiKey: 'x' });
    expect(warnIfSdkRetries(client, env.log.logger)).toBe(true);
    const warnings = env.log.at('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('maxRetries: 2');
    expect(warnings[0].message).toContain('maxRetries: 0');
    expect(warnings[0]).toMatchObject({ client: 'OpenAI', maxRetries: 2 });

    expect(warnIfSdkRetries(client, env.log.logger)).toBe(false);
    expect(env.log.at('warn')).toHaveLength(1);
  });

  it('does not warn for maxRetries 0, nor for values that are not clients', () => {
    expect(warnIfSdkRetries(new OpenAI({ apiKey: 'x', maxRetries: 0 }), env.log.logger)).toBe(false);
    expect(
      warnIfSdkRetries(
        new LLMServiceFactory().createClient({ provider: 'openai', model: 'm', apiKey: 'x' }),
        env.log.logger,
      ),
    ).toBe(false);
    for (const value of [undefined, null, 'client', 3, {}]) expect(warnIfSdkRetries(value, env.log.logger)).toBe(false);
    expect(env.log.transport.entries).toEqual([]);
  });

  it('warns about an AzureOpenAI client too, through the configured logger by default', () => {
    const configured = createTestLogger();
    configureResilience({ logger: configured.logger });
    const azure = new AzureOpenAI({
      apiKey: 'k',
      endpoint: 'https://r.openai.azure.com',
      apiVersion: AZURE_API_VERSION,
      maxRetries: 5,
    });
    expect(warnIfSdkRetries(azure)).toBe(true);
    expect(configured.at('warn')).toEqual([expect.objectContaining({ client: 'AzureOpenAI', maxRetries: 5 })]);
    expect(JSON.stringify(configured.transport.entries)).not.toContain(AZURE_KEY);
  });
});
