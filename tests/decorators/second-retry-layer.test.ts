// Issue #12 item 12: a decorated instance holding an openai client that retries by itself
// (maxRetries > 0) multiplies the requests of one call; the library says so once per class.
import OpenAI, { AzureOpenAI, InternalServerError } from 'openai';
import { configureResilience, resetResilience, RetryOpenAI } from '../../src';
let warnings: Array<{ message: string } & Record<string, unknown>>;
let everything: string[];
beforeEach(() => {
  resetResilience();
  warnings = [];
  everything = [];
  const record = (message: string, meta: Record<string, unknown>) =>
    void everything.push(message, JSON.stringify(meta));
  configureResilience({
    logger: {
      error: record,
      warn: (message: string, meta: Record<string, unknown>) => {
        record(message, meta);
        warnings.push({ message, ...meta });
      },
      info: record,
      debug: record,
    },
    random: () => 0,
  });
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  resetResilience();
});

const overloaded = () => new InternalServerError(503, { message: 'overloaded' }, undefined, new Headers());
const layerWarnings = () => warnings.filter((entry) => /maxRetries: \d+, so one call can send/.test(entry.message));

async function settle(promise: Promise<unknown>): Promise<void> {
  const done = promise.catch(() => undefined);
  await jest.runAllTimersAsync();
  await done;
}

describe('a client that retries by itself', () => {
  it('is warned about once per class, after a failure, with the requests one call can send', async () => {
    class ChatAgent {
      client = new OpenAI({ apiKey: 'sk-test-key', baseURL: 'http://127.0.0.1:9/v1' });
      @RetryOpenAI({ maxAttempts: 3 })
      async complete(): Promise<string> {
        throw overloaded();
      }
    }
    const Agent = ChatAgent;
    await settle(new Agent().complete());
    await settle(new Agent().complete());
    expect(layerWarnings()).toEqual([
      expect.objectContaining({
        message:
          'ChatAgent.complete: this.client is an OpenAI client with maxRetries: 2, so one call can send up to 9 requests (3 attempts x 3); create the client with maxRetries: 0',
        maxRetries: 2,
        requests: 9,
      }),
    ]);
    expect(everything.join('\n')).not.toContain('sk-test-key');
  });

  it('is found for AzureOpenAI too', async () => {
    class AzureAgent {
      client = new AzureOpenAI({
        apiKey: 'azure-key',
        endpoint: 'http://127.0.0.1:9',
        apiVersion: '2024-10-21',
        deployment: 'gpt',
        maxRetries: 1,
      });
      @RetryOpenAI({ maxAttempts: 3 })
      async complete(): Promise<string> {
        throw overloaded();
      }
    }
    const Agent = AzureAgent;
    await settle(new Agent().complete());
    expect(layerWarnings()).toEqual([expect.objectContaining({ client: 'AzureOpenAI', requests: 6 })]);
  });

  it('costs successes nothing: no warning while calls succeed', async () => {
    class HappyAgent {
      client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' });
      @RetryOpenAI({ maxAttempts: 3 })
      async complete(): Promise<string> {
        return 'ok';
      }
    }
    const Agent = HappyAgent;
    await new Agent().complete();
    expect(layerWarnings()).toEqual([]);
  });

  it('is not warned about with maxRetries: 0', async () => {
    class QuietAgent {
      client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
      @RetryOpenAI({ maxAttempts: 3 })
      async complete(): Promise<string> {
        throw overloaded();
      }
    }
    const Agent = QuietAgent;
    await settle(new Agent().complete());
    expect(layerWarnings()).toEqual([]);
  });
});
