// Issue #12 item 2: agents of one class that reach different upstreams (base URL, Azure
// deployment, API key) never share per-key state; agents configured alike do. A per-agent
// RetryConfig may bring its own key; the decorator's key may be a function of the instance.
import OpenAI, { AzureOpenAI, RateLimitError } from 'openai';
import {
  configureResilience,
  getUpstreamState,
  resetResilience,
  resetUpstream,
  RetryConfig,
  RetryOpenAI,
  upstreamKeyOf,
} from '../../src';
import { knownKeys } from '../../src/upstreams/per-key-state';

beforeEach(() => {
  resetResilience();
  configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} }, random: () => 0 });
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  resetResilience();
});

const limited = () => new RateLimitError(429, { message: 'slow down' }, undefined, new Headers({ 'retry-after': '5' }));

class ChatAgent {
  readonly client: OpenAI;
  failNext = false;
  constructor(
    options: { baseURL: string; apiKey: string },
    readonly retryConfig = new RetryConfig({ maxAttempts: 1 }),
  ) {
    this.client = new OpenAI({ ...options, maxRetries: 0 });
  }
  @RetryOpenAI()
  async complete(): Promise<string> {
    if (this.failNext) {
      this.failNext = false;
      throw limited();
    }
    return 'ok';
  }
}

/** True when the call finishes without waiting for the 5 s cooldown. */
async function goesAtOnce(agent: ChatAgent): Promise<boolean> {
  let done = false;
  const call = agent.complete().then(() => (done = true));
  await jest.advanceTimersByTimeAsync(10);
  const atOnce = done;
  await jest.advanceTimersByTimeAsync(10_000);
  await call;
  return atOnce;
}

async function coolDown(agent: ChatAgent): Promise<void> {
  agent.failNext = true;
  await expect(agent.complete()).rejects.toThrow('slow down');
}

describe('the default key', () => {
  const eu = { baseURL: 'https://eu.example.test/v1', apiKey: 'sk-eu-1' };
  const us = { baseURL: 'https://us.example.test/v1', apiKey: 'sk-eu-1' };

  it("keeps agents of one class apart when their clients reach different servers: B does not wait for A's 429", async () => {
    const a = new ChatAgent(eu);
    const b = new ChatAgent(us);
    await coolDown(a);
    expect(await goesAtOnce(b)).toBe(true);
  });

  it('keeps agents apart when only their API keys differ (different keys, different rate limits)', async () => {
    const a = new ChatAgent(eu);
    await coolDown(a);
    expect(await goesAtOnce(new ChatAgent({ ...eu, apiKey: 'sk-eu-2' }))).toBe(true);
  });

  it('lets agents configured alike share the key (one cooldown for both)', async () => {
    await coolDown(new ChatAgent(eu));
    expect(await goesAtOnce(new ChatAgent(eu))).toBe(false);
  });

  it('never puts the API key, a query or credentials of the URL into the key', async () => {
    const agent = new ChatAgent({ baseURL: 'https://eu.example.test/v1?tenant=7#x', apiKey: 'sk-secret-value-123' });
    await coolDown(agent);
    // The label, the URL's origin and path, and 8 hex digits of a hash of the API key: nothing else.
    const state = findState(/^ChatAgent\.complete\|/);
    expect(state).toMatch(/^ChatAgent\.complete\|https:\/\/eu\.example\.test\/v1\|k:[0-9a-f]{8}$/);
    expect(state).not.toContain('sk-secret');
    expect(state).not.toContain('tenant');
  });

  it('tells Azure deployments apart', async () => {
    class AzureAgent {
      readonly client: AzureOpenAI;
      constructor(deployment: string) {
        this.client = new AzureOpenAI({
          endpoint: 'https://res.openai.azure.com',
          apiKey: 'azure-key',
          apiVersion: '2024-10-21',
          deployment,
          maxRetries: 0,
        });
      }
      @RetryOpenAI({ maxAttempts: 1 })
      async complete(fail: boolean): Promise<string> {
        if (fail) throw limited();
        return 'ok';
      }
    }
    await expect(new AzureAgent('gpt-4o').complete(true)).rejects.toThrow();
    let done = false;
    const other = new AzureAgent('gpt-4o-mini').complete(false).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(10);
    expect(done).toBe(true);
    await other;
    expect(findState(/\|gpt-4o\|/)).toMatch(
      /^AzureAgent\.complete\|https:\/\/res\.openai\.azure\.com\/openai\|gpt-4o\|k:[0-9a-f]{8}$/,
    );
  });
});

describe('upstreamKeyOf', () => {
  it("tells the key of an instance's decorated method, the one getUpstreamState and resetUpstream take", async () => {
    const agent = new ChatAgent({ baseURL: 'https://eu.example.test/v1', apiKey: 'sk-eu-1' });
    const key = upstreamKeyOf(agent, 'complete')!;
    expect(key).toMatch(/^ChatAgent\.complete\|https:\/\/eu\.example\.test\/v1\|k:[0-9a-f]{8}$/);
    await coolDown(agent);
    expect(getUpstreamState(key)?.cooldownUntilMs).toBeGreaterThan(Date.now());
    expect(resetUpstream(key)).toBe(true);
    expect(await goesAtOnce(agent)).toBe(true);
  });

  it('is undefined for a method the library does not decorate', () => {
    expect(upstreamKeyOf({ complete: () => 'x' }, 'complete')).toBeUndefined();
  });
});

describe('a key chosen by the user', () => {
  it('a per-agent RetryConfig brings its own key', async () => {
    const a = new ChatAgent(
      { baseURL: 'https://eu.example.test/v1', apiKey: 'k1' },
      new RetryConfig({ maxAttempts: 1, key: 'shared-openai' }),
    );
    const b = new ChatAgent(
      { baseURL: 'https://us.example.test/v1', apiKey: 'k2' },
      new RetryConfig({ maxAttempts: 1, key: 'shared-openai' }),
    );
    await coolDown(a);
    expect(getUpstreamState('shared-openai')?.cooldownUntilMs).toBeGreaterThan(Date.now());
    expect(await goesAtOnce(b)).toBe(false);
  });

  it("the decorator's key may be a function of the instance", async () => {
    class Tenant {
      constructor(readonly tenant: string) {}
      @RetryOpenAI({ maxAttempts: 1, key: (self: Tenant) => `openai|${self.tenant}` })
      async complete(fail: boolean): Promise<string> {
        if (fail) throw limited();
        return 'ok';
      }
    }
    await expect(new Tenant('acme').complete(true)).rejects.toThrow();
    expect(getUpstreamState('openai|acme')?.cooldownUntilMs).toBeGreaterThan(Date.now());
    expect(getUpstreamState('openai|globex')).toBeUndefined();
  });

  it('a RetryConfig key must be a non-empty string of at most 200 characters', () => {
    expect(() => new RetryConfig({ key: '' })).toThrow('key must not be empty (received "")');
    expect(() => new RetryConfig({ key: 'x'.repeat(201) })).toThrow(/key must be at most 200 characters/);
  });
});

/** The one known key matching `pattern` (found through getUpstreamState on the candidates). */
function findState(pattern: RegExp): string | undefined {
  return allKeys().find((key) => pattern.test(key));
}

function allKeys(): string[] {
  return [...knownKeys()].map((upstream) => upstream.key);
}
