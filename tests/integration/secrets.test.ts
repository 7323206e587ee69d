/**
 * Secrets and prompts never reach a log line or a trace event, even when the provider's
 * failures echo them: real clients, a server that reflects the key (in the error message and
 * in response headers) and the prompt, and both a plain winston logger and the library's own.
 */
import winston from 'winston';
import OpenAI, { AzureOpenAI } from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { configureResilience, redactSecrets, RetryAzure, RetryOpenAI } from '../../src';
import { createDefaultLogger } from '../../src/observability/default-logger';
import { reply, startLoopbackServer, type LoopbackServer, type RecordedRequest } from '../support/loopback-server';
import { flushLogs, MemoryTransport } from '../support/memory-transport';
import { chatCompletion, drive, rejectionOf, useHarness } from './harness';

const OPENAI_KEY = 'sk-proj-TESTKEYa1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ_-0123456789';
const AZURE_KEY = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const PROMPT = 'Summarise the confidential merger memo for Project Nightingale';
const FORBIDDEN = [OPENAI_KEY, AZURE_KEY, PROMPT, 'Bearer', 'Nightingale'];

const h = useHarness();

/**
 * Scenario routes: `/openai-401/...`, `/openai-429/...`, `/azure-401/...`, `/azure-503/...`.
 * Every failure reflects what the client sent: the credential (in the message and in a
 * response header) and the prompt.
 */
function reflect(request: RecordedRequest, index: number) {
  const sentKey = String(request.headers['api-key'] ?? request.headers.authorization ?? '');
  const prompt =
    (JSON.parse(request.body || '{}') as { messages?: Array<{ content: string }> }).messages?.[0]?.content ?? '';
  const echo = {
    'x-echo-authorization': String(request.headers.authorization ?? ''),
    'x-echo-api-key': String(request.headers['api-key'] ?? ''),
    'x-request-id': `req_${index}`,
  };
  const [, scenario] = request.url.split('/');
  switch (scenario) {
    case 'openai-401':
      return reply.json(
        401,
        {
          error: {
            message: `Incorrect API key provided: ${OPENAI_KEY}. Prompt was: ${prompt}`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
            param: null,
          },
        },
        echo,
      );
    case 'openai-429':
      return reply.json(
        429,
        {
          error: {
            message: `Rate limit reached for key ${sentKey} while processing "${prompt}"`,
            type: 'requests',
            code: 'rate_limit_exceeded',
            param: null,
          },
        },
        { ...echo, 'retry-after-ms': '100' },
      );
    case 'azure-401':
      return reply.json(
        401,
        {
          error: {
            code: '401',
            message: `Access denied due to invalid subscription key ${sentKey}. Prompt: ${prompt}`,
          },
        },
        echo,
      );
    case 'azure-503':
      return reply.json(
        503,
        { error: { code: 'ServiceUnavailable', message: `Overloaded (key ${sentKey}): ${prompt}` } },
        echo,
      );
    default:
      return reply.json(200, chatCompletion());
  }
}

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer(reflect);
});
afterAll(async () => {
  await server.close();
});

const body = () => ({ model: 'gpt-4o', messages: [{ role: 'user' as const, content: PROMPT }] });

class OpenAIAgent {
  private readonly client: OpenAI;
  constructor(scenario: string) {
    this.client = new OpenAI({ apiKey: OPENAI_KEY, baseURL: `${server.url}/${scenario}/v1`, maxRetries: 0 });
  }
  @RetryOpenAI()
  async ask(options: { apiKey: string; messages: unknown[] }): Promise<ChatCompletion> {
    void options;
    return this.client.chat.completions.create(body());
  }
}

class AzureAgent {
  private readonly client: AzureOpenAI;
  constructor(scenario: string) {
    this.client = new AzureOpenAI({
      apiKey: AZURE_KEY,
      endpoint: `${server.url}/${scenario}`,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o',
      maxRetries: 0,
    });
  }
  @RetryAzure()
  async ask(): Promise<ChatCompletion> {
    return this.client.chat.completions.create(body());
  }
}

/** Runs every scenario; returns the errors the callers got. */
async function provokeEverything(): Promise<unknown[]> {
  const callerOptions = { apiKey: OPENAI_KEY, messages: body().messages };
  return [
    await rejectionOf(drive(h, new OpenAIAgent('openai-401').ask(callerOptions))),
    await rejectionOf(drive(h, new OpenAIAgent('openai-429').ask(callerOptions))),
    await rejectionOf(drive(h, new AzureAgent('azure-401').ask())),
    await rejectionOf(drive(h, new AzureAgent('azure-503').ask())),
  ];
}

function expectNoSecretIn(text: string): void {
  for (const forbidden of FORBIDDEN) expect(text).not.toContain(forbidden);
}

/** The failures really carried the secrets: otherwise the checks below prove nothing. */
function expectSecretsWereThere(errors: unknown[]): void {
  const texts = errors.map((error) => {
    const headerValues: string[] = [];
    (error as { headers?: Headers }).headers?.forEach((value, name) => headerValues.push(`${name}: ${value}`));
    return `${(error as Error).message}\n${headerValues.join('\n')}`;
  });
  expect(texts[0]).toContain(OPENAI_KEY);
  expect(texts[0]).toContain('Bearer ' + OPENAI_KEY);
  expect(texts[1]).toContain(PROMPT);
  expect(texts[2]).toContain(AZURE_KEY);
  expect(texts[3]).toContain(PROMPT);
}

function expectEveryKindOfLine(entries: Array<{ level: string }>): void {
  const levels = new Set(entries.map((entry) => entry.level));
  // warn: retries (429, 503) and the 401s not retried (auth: operations must see it);
  // error: attempts exhausted.
  expect([...levels].sort()).toEqual(['error', 'warn']);
}

describe('the library never logs or traces a key, a Bearer token or the prompt', () => {
  it('through a plain winston JSON logger (no redaction of its own)', async () => {
    const errors = await provokeEverything();
    await flushLogs();
    expectSecretsWereThere(errors);
    expectEveryKindOfLine(h.log.transport.entries as Array<{ level: string }>);
    expect(h.log.transport.entries.length).toBeGreaterThanOrEqual(2 + 2 + 2 + 2);
    expectNoSecretIn(h.log.transport.dump());
    expectNoSecretIn(h.log.transport.lines().join('\n'));
    expect(h.events.length).toBeGreaterThan(0);
    expectNoSecretIn(JSON.stringify(h.events));
  });

  it("through the library's default logger (its redacting format, a memory transport in place of stderr)", async () => {
    const logger = createDefaultLogger({ LLM_RESILIENCE_LOG_LEVEL: 'debug' });
    const transport = new MemoryTransport();
    logger.clear().add(transport);
    configureResilience({ logger });

    const errors = await provokeEverything();
    await flushLogs();
    expectSecretsWereThere(errors);
    expectEveryKindOfLine(transport.entries as Array<{ level: string }>);
    expect(transport.lines().every((line) => line.includes('[llm-resilience]'))).toBe(true);
    expectNoSecretIn(transport.dump());
    expectNoSecretIn(JSON.stringify(h.events));
  });
});

describe("redactSecrets() on the application's own logs of the same failures", () => {
  it('scrubs the keys and Bearer tokens carried by real SDK errors, and the prompt in request options', async () => {
    const errors = await provokeEverything();
    const transport = new MemoryTransport();
    const appLogger = winston.createLogger({
      level: 'silly',
      format: winston.format.combine(redactSecrets(), winston.format.json()),
      transports: [transport],
    });
    for (const error of errors) {
      appLogger.error('LLM call failed', {
        error,
        headers: (error as { headers?: Headers }).headers,
        request: {
          apiKey: OPENAI_KEY,
          headers: { 'api-key': AZURE_KEY, authorization: `Bearer ${OPENAI_KEY}` },
          ...body(),
        },
      });
    }
    await flushLogs();
    expect(transport.entries).toHaveLength(errors.length);
    const dump = transport.dump();
    expect(dump).not.toContain(OPENAI_KEY);
    expect(dump).not.toContain(AZURE_KEY);
    // The request options' prompt is summarised (`messages` is a prompt key).
    expect(transport.lines().join('\n')).toContain('[REDACTED 1 message]');
  });
});
