/**
 * A server may echo the API key in any shape, for instance as its request id. The patterns for
 * key-shaped text know `sk-…` and Azure's 32 hex digits; a key of another shape is known by
 * value: the ones the library handed to an SDK (`LLMServiceFactory`, behind `ResilientLLMService`)
 * and the ones the SDKs read from `OPENAI_API_KEY` / `AZURE_OPENAI_API_KEY`. Such a key never
 * reaches a log line or a trace event, and is never taken for a request id. The real `openai`
 * SDK against a loopback server that echoes the key it was sent.
 */
import { inspect } from 'node:util';
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError } from 'openai';
import { classifyFailure } from '../../src/engine/classify-failure';
import { scrubbed } from '../../src/llm/echo-scrub';
import {
  AgentConfig,
  classifyError,
  configureResilience,
  LLMExecutor,
  LLMProvider,
  resetResilience,
  ResilientLLMService,
  RetryOpenAI,
  type Tracer,
} from '../../src';
import { forgetSecrets } from '../../src/internal/known-secrets';
import { redactText } from '../../src/observability/redact-secrets';
import { reply, startLoopbackServer, type LoopbackServer, type RecordedRequest } from '../support/loopback-server';
import { flushLogs } from '../support/memory-transport';
import { createTestLogger } from '../support/test-logger';

/** A key of no shape the text patterns know (another provider's, a proxy's). */
const ODD_KEY = 'gsk_ECHOEDSECRET0123456789abcdefXYZ';
const ENV_KEY = 'proxy-ENVSECRET-0123456789ABCDEFghij';

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 0,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop', logprobs: null }],
};

/** What the server echoes as its request id: the key the client sent, or the prompt. */
let echoed: 'key' | 'prompt' = 'key';

/** The key (or prompt) the client sent, echoed as the request id of a 503; the retry gets a 200. */
function echoKey(request: RecordedRequest, index: number) {
  const sent =
    echoed === 'key'
      ? String(request.headers.authorization ?? '').replace(/^Bearer /, '')
      : String((JSON.parse(request.body || '{}') as { messages?: Array<{ content?: string }> }).messages?.[0]?.content);
  return index === 0
    ? reply.json(
        503,
        { error: { message: 'overloaded', type: null, param: null, code: null } },
        { 'x-request-id': sent },
      )
    : reply.json(200, completion);
}

let server: LoopbackServer;
const log = createTestLogger();
const events: Array<{ event: string; details: unknown }> = [];
const tracer: Tracer = { logEvent: (event, details) => void events.push({ event, details }) };

beforeEach(async () => {
  echoed = 'key';
  server = await startLoopbackServer(echoKey);
  log.transport.entries.length = 0;
  events.length = 0;
  configureResilience({ logger: log.logger, tracer, random: () => 0 });
});
afterEach(async () => {
  await server.close();
  resetResilience();
  forgetSecrets();
  delete process.env.OPENAI_API_KEY;
});

/** An OpenAI agent of the server with ODD_KEY, `maxAttempts` attempts 100 ms apart. */
function oddKeyAgent(maxAttempts: number): AgentConfig {
  return new AgentConfig({
    provider: LLMProvider.OPENAI,
    model: 'gpt-4o-mini',
    baseURL: `${server.url}/v1`,
    apiKey: ODD_KEY,
    retryConfig: { maxAttempts, baseDelayMs: 100, jitter: 'none' },
  });
}

/** The key really came back (else the checks prove nothing), a retry was logged, and the key is nowhere. */
async function expectEchoedButNotLogged(key: string): Promise<void> {
  await flushLogs();
  expect(server.requests).toHaveLength(2);
  const warn = log.at('warn');
  expect(warn).toHaveLength(1);
  expect(String(warn[0].message)).toMatch(/^Retrying /);
  expect(log.transport.dump()).not.toContain(key);
  expect(JSON.stringify(events)).not.toContain(key);
  expect(events.some(({ event }) => event === 'retry_backoff_delay')).toBe(true);
}

describe('a key of no known shape, echoed by the server as its request id', () => {
  it('given to ResilientLLMService in an AgentConfig: not in the retry warn line, its meta or the trace', async () => {
    const config = oddKeyAgent(2);
    const service = new ResilientLLMService({ tracer, logger: log.logger });
    await expect(
      service.resilientChatCompletion(config, { messages: [{ role: 'user', content: 'hi' }] }),
    ).resolves.toBeDefined();
    await expectEchoedButNotLogged(ODD_KEY);
  });

  it('read by the SDK from OPENAI_API_KEY (a decorated method on a plain client): not logged, not a request id', async () => {
    process.env.OPENAI_API_KEY = ENV_KEY;
    const client = new OpenAI({ baseURL: `${server.url}/v1`, maxRetries: 0 });
    let failure: unknown;
    class Chat {
      @RetryOpenAI({ maxAttempts: 2, baseDelayMs: 100, jitter: 'none' })
      async complete(): Promise<unknown> {
        try {
          return await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
        } catch (error) {
          failure ??= error;
          throw error;
        }
      }
    }
    await expect(new Chat().complete()).resolves.toBeDefined();
    await expectEchoedButNotLogged(ENV_KEY);
    expect((failure as { headers: Headers }).headers.get('x-request-id')).toBe(ENV_KEY);
    expect(classifyError(failure).requestId).toBeUndefined();
  });

  it("given to the application's own OpenAI client (a decorated method): not logged, not a request id", async () => {
    const key = 'gw-OWNCLIENTSECRET-0123456789abcdef';
    const client = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
    let failure: unknown;
    class Chat {
      readonly client = client;
      @RetryOpenAI({ maxAttempts: 2, baseDelayMs: 100, jitter: 'none' })
      async complete(): Promise<unknown> {
        try {
          return await this.client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
        } catch (error) {
          failure ??= error;
          throw error;
        }
      }
    }
    await expect(new Chat().complete()).resolves.toBeDefined();
    await expectEchoedButNotLogged(key);
    expect(classifyError(failure).requestId).toBeUndefined();
  });

  it('redactText scrubs a known key anywhere in a text; other request ids stay', () => {
    process.env.AZURE_OPENAI_API_KEY = ENV_KEY;
    try {
      expect(redactText(`request ${ENV_KEY} failed`)).toBe('request [REDACTED] failed');
      expect(redactText('request req_demo_503 failed')).toBe('request req_demo_503 failed');
    } finally {
      delete process.env.AZURE_OPENAI_API_KEY;
    }
  });
});

describe('the prompt, echoed by the server as its request id (one token: no pattern can tell it from an id)', () => {
  const PROMPT = 'PromptMarker_patient_diagnosis_xyz';

  it.each([
    ['ResilientLLMService (the request is an argument of its retried method)', 'service'],
    ['a decorated method taking the prompt', 'decorated'],
  ])('%s: not in the retry warn line, its meta or the trace', async (_what, via) => {
    echoed = 'prompt';
    if (via === 'service') {
      const config = oddKeyAgent(2);
      const service = new ResilientLLMService({ tracer, logger: log.logger });
      await service.resilientChatCompletion(config, { messages: [{ role: 'user', content: PROMPT }] });
    } else {
      const client = new OpenAI({ apiKey: ODD_KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
      class Chat {
        @RetryOpenAI({ maxAttempts: 2, baseDelayMs: 100, jitter: 'none' })
        async complete(prompt: string): Promise<unknown> {
          return client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: prompt }],
          });
        }
      }
      await new Chat().complete(PROMPT);
    }
    await expectEchoedButNotLogged(PROMPT);
  });

  it('a request id that is not in the arguments is still logged', async () => {
    await server.close();
    server = await startLoopbackServer((_request, index) =>
      index === 0
        ? reply.json(
            503,
            { error: { message: 'overloaded', type: null, param: null, code: null } },
            { 'x-request-id': 'req_plain_1' },
          )
        : reply.json(200, completion),
    );
    const client = new OpenAI({ apiKey: ODD_KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
    class Chat {
      @RetryOpenAI({ maxAttempts: 2, baseDelayMs: 100, jitter: 'none' })
      async complete(prompt: string): Promise<unknown> {
        return client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });
      }
    }
    await new Chat().complete(PROMPT);
    await flushLogs();
    expect(String(log.at('warn')[0].message)).toContain('request req_plain_1');
  });
});

describe("LLMExecutor rethrows the SDK's own error, without the server's echo of the key and the prompt", () => {
  const PROMPT = 'Summarise the confidential memo for Project Nightingale';

  it.each([
    ['executeText', (executor: LLMExecutor, config: AgentConfig) => executor.executeText(config, messages())],
    [
      'executeStream',
      async (executor: LLMExecutor, config: AgentConfig) => {
        for await (const delta of executor.executeStream(config, messages())) void delta;
      },
    ],
  ])('%s: same error type and status; neither the key nor the prompt in its message or body', async (_what, run) => {
    await server.close();
    server = await startLoopbackServer((request) => {
      const sent = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      const message = `Incorrect API key provided: ${sent}. Your prompt was: ${PROMPT}`;
      return reply.json(401, {
        error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
    });
    const config = oddKeyAgent(1);
    const error = await run(new LLMExecutor({ logger: log.logger, tracer }), config).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    const shown = [String((error as Error).message), inspect(error), JSON.stringify(error)].join('\n');
    expect(shown).toContain('Incorrect API key provided: [REDACTED]');
    expect(shown).not.toContain(ODD_KEY);
    expect(shown).not.toContain(PROMPT);
  });

  function messages() {
    return [{ role: 'user' as const, content: PROMPT }];
  }
});

describe('a prompt echoed as the request id is looked for where it is likeliest', () => {
  it('the newest message of a long conversation (searched first)', () => {
    const prompt = 'the-newest-message-0123';
    const history = Array.from({ length: 3000 }, (_, i) => ({ role: 'user', content: `message ${i}` }));
    const error = new InternalServerError(
      503,
      { message: 'overloaded' },
      'overloaded',
      new Headers({ 'x-request-id': prompt }),
    );
    const request = { messages: [...history, { role: 'user', content: prompt }] };
    expect(classifyFailure(error, () => true).requestId).toBe(prompt);
    expect(classifyFailure(error, () => true, [request]).requestId).toBeUndefined();
  });

  it("the SDK error's param (a body field the server filled) is scrubbed with the message", () => {
    const prompt = 'Summarise the confidential memo';
    const error = new BadRequestError(
      400,
      { message: `bad: ${prompt}`, param: prompt },
      `400 bad: ${prompt}`,
      new Headers(),
    );
    scrubbed(error, [prompt]);
    expect(inspect(error)).not.toContain(prompt);
    expect(error.param).toBe('[REDACTED PROMPT]');
  });
});
