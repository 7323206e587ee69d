/**
 * Issue #12, item 3: a credential in an endpoint URL (`user:pass@`, `?api-key=`) is refused
 * when the AgentConfig is built, with a RetryConfigError that names the field and the rule and
 * shows the URL with the credential as `***`; the upstream key built from a URL keeps its
 * origin and path only, so no query, fragment or user info reaches events, spans or errors.
 */
import { inspect } from 'node:util';
import {
  AgentConfig,
  AgentConfigInput,
  isRetryConfigError,
  LLMProvider,
  ResilientLLMService,
  RetryConfigError,
} from '../../src';
import { originAndPath } from '../../src/internal/origin-and-path';

const SECRET = 'S3cretValue42';
const openai: AgentConfigInput = { provider: LLMProvider.OPENAI, model: 'gpt-4o-mini' };
const azure: AgentConfigInput = { provider: LLMProvider.AZURE_OPENAI, model: 'gpt-4o' };

function configError(input: AgentConfigInput): RetryConfigError {
  try {
    new AgentConfig(input);
  } catch (error) {
    expect(isRetryConfigError(error)).toBe(true);
    return error as RetryConfigError;
  }
  throw new Error('expected the config to be rejected');
}

/** Every rendering of the error: none may carry the secret. */
function expectNoSecret(error: RetryConfigError): void {
  for (const text of [
    error.message,
    String(error),
    JSON.stringify(error),
    inspect(error),
    JSON.stringify(error.issues),
  ]) {
    expect(text).not.toContain(SECRET);
  }
}

const QUERY_PARAMS = [
  'api-key',
  'api_key',
  'apikey',
  'API-KEY',
  'Api_Key',
  'key',
  'KEY',
  'code',
  'sig',
  'token',
  'access_token',
  'Access_Token',
  'subscription-key',
  'Subscription-Key',
];

describe('credentials in baseURL / endpoint are refused', () => {
  it.each([
    ['baseURL', openai, `http://user:${SECRET}@127.0.0.1:8080/v1`],
    ['baseURL', openai, `https://${SECRET}@api.example.com/v1`],
    ['baseURL', openai, `https://user:${SECRET}@api.example.com`],
    ['endpoint', azure, `https://user:${SECRET}@res.openai.azure.com`],
    ['baseURL', azure, `https://apikey:${SECRET}@res.openai.azure.com/openai`],
  ])('%s with user info (%#)', (field, base, url) => {
    const error = configError({ ...base, [field]: url });
    expect(error.issues).toHaveLength(1);
    const [issue] = error.issues;
    expect(issue.field).toBe(field);
    expect(issue.message).toMatch(new RegExp(`^${field} must not contain credentials \\(user:password@\\)`));
    expect(issue.message).toContain('***@');
    expect(issue.message).toMatch(/apiKey/);
    expectNoSecret(error);
  });

  it.each(QUERY_PARAMS.flatMap((param) => [[param, 'baseURL', openai] as const, [param, 'endpoint', azure] as const]))(
    'query parameter %s in %s',
    (param, field, base) => {
      const url = `https://res.example.com/openai/v1?api-version=2024-10-21&${param}=${SECRET}`;
      const error = configError({ ...base, [field]: url });
      expect(error.issues).toEqual([
        { field, message: expect.stringContaining(`${field} must not carry a credential`) },
      ]);
      const { message } = error.issues[0];
      expect(message).toContain(`(${param})`);
      expect(message).toContain(`https://res.example.com/openai/v1?api-version=2024-10-21&${param}=***`);
      expectNoSecret(error);
    },
  );

  it('shows the URL with every credential masked, other parameters kept', () => {
    const error = configError({ ...openai, baseURL: `https://u:${SECRET}@h.example.com/v1?x=1&sig=${SECRET}#frag` });
    expect(error.issues[0].message).toBe(
      'baseURL must not contain credentials (user:password@): got https://***@h.example.com/v1?x=1&sig=***#***; ' +
        'pass the key as apiKey (or azureADTokenProvider)',
    );
  });

  it('an empty credential parameter is refused too (it is a credential slot)', () => {
    expect(configError({ ...openai, baseURL: 'https://h.example.com/v1?api-key=' }).issues[0].field).toBe('baseURL');
  });

  it('in a fallback, under the fallback path', () => {
    const error = configError({ ...openai, fallbacks: [{ baseURL: `https://h.example.com/v1?token=${SECRET}` }] });
    expect(error.issues).toEqual([
      { field: 'fallbacks[0].baseURL', message: expect.stringContaining('fallbacks[0].baseURL must not carry') },
    ]);
    expectNoSecret(error);
  });

  it('a URL inside an explicit key is checked as well', () => {
    const error = configError({ ...openai, key: `openai|http://user:${SECRET}@h.example.com|gpt-4o-mini` });
    expect(error.issues[0].field).toBe('key');
    expect(error.issues[0].message).toContain('http://***@h.example.com');
    expectNoSecret(error);
    expect(new AgentConfig({ ...openai, key: 'openai|https://h.example.com/v1?region=eu|gpt' }).upstreamKey).toBe(
      'openai|https://h.example.com/v1?region=eu|gpt',
    );
  });

  it.each([
    'https://h.example.com/v1?x=1',
    'https://h.example.com/v1?api-version=2024-10-21&monkey=1',
    'https://h.example.com/v1#keys',
  ])('harmless URLs are accepted: %s', (baseURL) => {
    expect(new AgentConfig({ ...openai, baseURL }).baseURL).toBe(baseURL);
  });
});

describe('credentials elsewhere in a URL are refused too', () => {
  it.each([
    ['a path parameter (;api-key=)', 'https://h.example.com/v1;api-key=topsecretvalue99', /\(api-key\)/],
    [
      'a query name of any prefix (x-goog-api-key)',
      'https://h.example.com/v1?x-goog-api-key=topsecretvalue99',
      /\(x-goog-api-key\)/,
    ],
    ['a query name that is a credential word (auth)', 'https://h.example.com/v1?auth=topsecretvalue99', /\(auth\)/],
    [
      'a key-shaped path segment (/sk-…)',
      `https://h.example.com/key/sk-proj-${'a1B2'.repeat(6)}/v1`,
      /must not carry a key in its path/,
    ],
  ])('%s', (_what, baseURL, rule) => {
    const error = configError({ ...openai, baseURL });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0].message).toMatch(rule);
    for (const text of [error.message, error.issues[0].message, inspect(error)]) {
      expect(text).not.toContain('topsecretvalue99');
      expect(text).not.toContain('a1B2a1B2a1B2');
    }
  });

  it('the apiKey itself anywhere in the URL (a key of no known shape in a gateway path)', () => {
    const key = 'zq7Pm2LxWc9rTb4HsNv8YkEf';
    const error = configError({ ...openai, apiKey: key, baseURL: `https://gw.example.com/v1/${key}/openai` });
    expect(error.issues).toEqual([
      { field: 'baseURL', message: 'baseURL must not carry the apiKey: pass it as apiKey only' },
    ]);
    expect(inspect(error)).not.toContain(key);
  });

  it("a path parameter never reaches an upstream key (a client's baseURL, read by the decorators)", () => {
    expect(originAndPath('https://h.example.com/v1;api-key=topsecretvalue99/chat')).toBe(
      'https://h.example.com/v1/chat',
    );
  });
});

describe('the upstream key keeps origin and path only', () => {
  it.each([
    ['https://h.example.com/v1?x=1', 'openai|https://h.example.com/v1|gpt-4o-mini'],
    ['https://h.example.com/v1#part', 'openai|https://h.example.com/v1|gpt-4o-mini'],
    ['https://h.example.com/v1/?x=1&y=2', 'openai|https://h.example.com/v1/|gpt-4o-mini'],
    ['https://H.Example.com:443/v1', 'openai|https://h.example.com/v1|gpt-4o-mini'],
    ['http://127.0.0.1:8080', 'openai|http://127.0.0.1:8080|gpt-4o-mini'],
    ['http://127.0.0.1:8080/v1', 'openai|http://127.0.0.1:8080/v1|gpt-4o-mini'],
  ])('baseURL %s', (baseURL, key) => {
    expect(new AgentConfig({ ...openai, baseURL }).upstreamKey).toBe(key);
  });

  it('of an Azure endpoint', () => {
    const config = new AgentConfig({ ...azure, endpoint: 'https://res.openai.azure.com/?x=1' });
    expect(config.upstreamKey).toBe('azure_openai|https://res.openai.azure.com|gpt-4o');
  });

  it('even when a URL with a credential is assigned after validation', () => {
    const config = new AgentConfig({ ...openai, baseURL: 'https://h.example.com/v1' });
    config.baseURL = `https://user:${SECRET}@h.example.com/v1?api-key=${SECRET}`;
    expect(config.upstreamKey).toBe('openai|https://h.example.com/v1|gpt-4o-mini');
  });
});

describe('toJSON and util.inspect never carry a URL credential', () => {
  it('a harmless query stays in the serialised config', () => {
    const config = new AgentConfig({ ...openai, baseURL: 'https://h.example.com/v1?x=1' });
    expect(config.toJSON()).toMatchObject({ baseURL: 'https://h.example.com/v1?x=1' });
  });

  it('a credential assigned after validation is masked', () => {
    const config = new AgentConfig({ ...azure, endpoint: 'https://res.openai.azure.com' });
    config.endpoint = `https://user:${SECRET}@res.openai.azure.com/?subscription-key=${SECRET}&x=1`;
    config.baseURL = `https://res.openai.azure.com/openai?code=${SECRET}`;
    expect(config.toJSON()).toMatchObject({
      endpoint: 'https://***@res.openai.azure.com/?subscription-key=***&x=1',
      baseURL: 'https://res.openai.azure.com/openai?code=***',
    });
    for (const text of [JSON.stringify(config), inspect(config), inspect(config, { showHidden: true })]) {
      expect(text).not.toContain(SECRET);
    }
  });
});

describe('a call with such a config', () => {
  it('fails at once with the RetryConfigError, before any request or retry', async () => {
    const service = new ResilientLLMService();
    const started = Date.now();
    const rejection = service.resilientChatCompletion(
      { ...openai, apiKey: 'sk-test', baseURL: `http://user:${SECRET}@127.0.0.1:9/v1` },
      { messages: [{ role: 'user', content: 'hi' }] },
    );
    await expect(rejection).rejects.toBeInstanceOf(RetryConfigError);
    await expect(rejection).rejects.toMatchObject({ message: expect.not.stringContaining(SECRET) });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
