/**
 * No API key, bearer token or prompt text reaches a log line, a trace event, an
 * AgentExecutionError's message or JSON, or an OrchestrationResponse — for OpenAI and Azure
 * OpenAI keys, through 401 / 429 / 500 / reset failures (the fault server's 401 echoes a
 * masked key, as OpenAI does), fallbacks and the factory's own warnings.
 */
import { inspect } from 'node:util';
import {
  AgentConfig,
  AgentOrchestrator,
  isAgentExecutionError,
  LLMExecutor,
  LLMServiceFactory,
  ResilientLLMService,
  warnIfSdkRetries,
} from '../../src';
import OpenAI from 'openai';
import type { FaultServer } from '../../src/testing';
import { flushLogs } from '../support/memory-transport';
import {
  AZURE_KEY,
  azureConfig,
  drain,
  OPENAI_KEY,
  openaiConfig,
  PROMPT,
  rejectionOf,
  useLLMTestEnvironment,
  userMessages,
} from './helpers';

const env = useLLMTestEnvironment();

/** A JWT-shaped Entra ID token. */
const BEARER_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJjb2duaXRpdmVzZXJ2aWNlcyJ9.c2lnbmF0dXJlLXNlY3JldA';
const SECRETS = [OPENAI_KEY, AZURE_KEY, BEARER_TOKEN, 'SECRETKEY', PROMPT, 'Nightingale'];

function expectClean(text: string, what: string): void {
  for (const secret of SECRETS) {
    if (text.includes(secret)) throw new Error(`${what} contains ${JSON.stringify(secret)}:\n${text}`);
  }
}

/** Everything observable except the developer-only `originalError`. */
async function expectNothingLeaked(extra: Array<[string, string]> = []): Promise<void> {
  await flushLogs();
  expect(env.log.transport.entries.length).toBeGreaterThan(0);
  expectClean(env.log.transport.dump(), 'the log');
  expectClean(env.log.transport.lines().join('\n'), 'the formatted log lines');
  expectClean(JSON.stringify(env.tracer.events), 'the trace events');
  expectClean(JSON.stringify(env.tracer.errors), 'the logged errors');
  for (const [what, text] of extra) expectClean(text, what);
}

function renderError(error: unknown): Array<[string, string]> {
  expect(isAgentExecutionError(error)).toBe(true);
  const e = error as Error;
  return [
    ['error.message', e.message],
    ['JSON.stringify(error)', JSON.stringify(e)],
    ['String(error)', String(e)],
    ['util.inspect(error)', inspect(e)],
  ];
}

const SCENARIOS: Array<[string, string[]]> = [
  ['401', ['401']],
  ['429', ['429:10', '429:10', '429:10']],
  ['500', ['500', '500', '500']],
  ['reset', ['reset', 'reset', 'reset']],
];

type ConfigFor = (server: FaultServer) => AgentConfig;
const PROVIDERS: Array<[string, ConfigFor]> = [
  ['OpenAI (sk-proj key)', (server) => openaiConfig(server, { name: 'secret-agent' })],
  ['Azure OpenAI (32-hex key)', (server) => azureConfig(server, { name: 'secret-agent' })],
  [
    'Azure OpenAI (Entra ID token)',
    (server) => azureConfig(server, { name: 'secret-agent', azureADTokenProvider: async () => BEARER_TOKEN }),
  ],
];

describe.each(PROVIDERS)('%s', (_, configFor) => {
  it.each(SCENARIOS)('%s: nothing secret in logs, events, the error or its JSON', async (_fault, script) => {
    const server = await env.startServer({ script });
    const service = new ResilientLLMService({ tracer: env.tracer });
    const error = await rejectionOf(service.resilientChatCompletion(configFor(server), { messages: userMessages() }));
    expect(server.requests).toHaveLength(script.length);
    // The credential really was sent (so there was something to leak).
    const sent = server.requests[0].headers;
    expect([sent.authorization, sent['api-key']].join(' ')).toMatch(
      new RegExp(`${OPENAI_KEY}|${AZURE_KEY}|${BEARER_TOKEN}`),
    );
    await expectNothingLeaked(renderError(error));
  });

  it.each(SCENARIOS)('%s: nothing secret in the OrchestrationResponse or logError', async (_fault, script) => {
    const server = await env.startServer({ script });
    const orchestrator = new AgentOrchestrator({ tracer: env.tracer });
    const response = await orchestrator.respond(configFor(server), userMessages());
    expect(response.isError).toBe(true);
    expect(env.tracer.errors).toHaveLength(1);
    await expectNothingLeaked([['the OrchestrationResponse', JSON.stringify(response)]]);
  });
});

describe('other paths', () => {
  it('a fallback with its own key: nothing secret in the fallback warning or events', async () => {
    const server = await env.startServer({ script: ['503', '503', '503', '401'] });
    const config = openaiConfig(server, { fallbacks: [{ model: 'gpt-4o', apiKey: `${OPENAI_KEY}-fallback` }] });
    const response = await new AgentOrchestrator({ tracer: env.tracer }).respond(config, userMessages());
    expect(env.tracer.named('fallback_used')).toHaveLength(1);
    expect(server.requests[3].headers.authorization).toBe(`Bearer ${OPENAI_KEY}-fallback`);
    await expectNothingLeaked([['the OrchestrationResponse', JSON.stringify(response)]]);
  });

  it('executor failures (text, schema, stream) log nothing secret', async () => {
    const server = await env.startServer({ script: ['401', '500', '500', '500', 'reset', 'stream-cut:1'] });
    const executor = new LLMExecutor({ tracer: env.tracer });
    await rejectionOf(executor.executeText(openaiConfig(server), userMessages()));
    await rejectionOf(
      executor.executeWithSchema(openaiConfig(server), userMessages(), { type: 'object', required: ['x'] }),
    );
    const stream = await drain(executor.executeStream(openaiConfig(server), userMessages()));
    expect(stream.error).toBeDefined();
    expect(stream.items).toEqual(['Echo:']);
    await expectNothingLeaked([['the stream error message', String(stream.error?.message)]]);
  });

  it('a missing key, the SDK-retries warning and config errors carry no key', async () => {
    const factory = new LLMServiceFactory({ env: { AZURE_OPENAI_API_KEY: AZURE_KEY } });
    let thrown: unknown;
    try {
      factory.createClient(new AgentConfig({ provider: 'openai', model: 'gpt-4o' }));
    } catch (error) {
      thrown = error;
    }
    expectClean(String((thrown as Error).message), 'the missing-key error');
    warnIfSdkRetries(new OpenAI({ apiKey: OPENAI_KEY }));
    let configError: unknown;
    try {
      new AgentConfig({ provider: 'openai', model: '', apiKey: OPENAI_KEY, baseURL: `https://x y/${OPENAI_KEY}` });
    } catch (error) {
      configError = error;
    }
    await expectNothingLeaked([
      ['the config error', `${(configError as Error).message} ${JSON.stringify(configError)}`],
    ]);
  });
});

describe('the Responses API and embeddings', () => {
  it.each(PROVIDERS)(
    '%s: responses (JSON and stream) and embeddings failures log nothing secret',
    async (_, configFor) => {
      const server = await env.startServer({
        script: [
          // resilientResponse: a failed body, a 500, then a 401
          'response-failed:0',
          '500',
          '401',
          // resilientResponseStream: an error event, a cut before the commit point, the quota event
          'error-event:0',
          'stream-cut:0',
          'quota-stream',
          // resilientEmbeddings: 429 three times
          '429:5',
          '429:5',
          '429:5',
        ],
      });
      const service = new ResilientLLMService({ tracer: env.tracer });
      const config = configFor(server);
      const rendered: Array<[string, string]> = [];
      rendered.push(...renderError(await rejectionOf(service.resilientResponse(config, { input: PROMPT }))));
      const stream = await drain(service.resilientResponseStream(config, { input: PROMPT, instructions: PROMPT }));
      expect(stream.items).toEqual([]);
      rendered.push(...renderError(stream.error));
      rendered.push(...renderError(await rejectionOf(service.resilientEmbeddings(config, { input: [PROMPT] }))));
      expect(server.requests).toHaveLength(9);
      const labels = env.log.transport.lines().join('\n');
      for (const label of ['resilientResponse', 'resilientResponseStream', 'resilientEmbeddings']) {
        expect(labels).toContain(`ResilientLLMService.${label}`);
      }
      await expectNothingLeaked(rendered);
    },
  );

  it('a stream interrupted after its first delta, and one resumed: nothing secret', async () => {
    const server = await env.startServer({ script: ['stream-cut:1', 'stream-cut:1', 'ok'] });
    const service = new ResilientLLMService({ tracer: env.tracer });
    const cut = await drain(service.resilientResponseStream(openaiConfig(server), { input: PROMPT }));
    expect(cut.error?.name).toBe('StreamInterruptedError');
    const resumed = await drain(
      service.resilientResponseStream(openaiConfig(server), { input: PROMPT, background: true, resume: true }),
    );
    expect(resumed.error).toBeUndefined();
    expect(server.requests.map((r) => r.api)).toEqual(['responses', 'responses', 'retrieve']);
    await expectNothingLeaked([
      ['the interruption message', String(cut.error?.message)],
      ['the interruption JSON', JSON.stringify(cut.error)],
    ]);
  });

  it('executor failures over the Responses API (text, schema, stream) log nothing secret', async () => {
    const server = await env.startServer({ script: ['401', 'response-failed:0:insufficient_quota', 'quota-stream'] });
    const executor = new LLMExecutor({ tracer: env.tracer });
    const config = openaiConfig(server, { api: 'responses' });
    await rejectionOf(executor.executeText(config, userMessages()));
    await rejectionOf(executor.executeWithSchema(config, userMessages(), { type: 'object', required: ['x'] }));
    const stream = await drain(executor.executeStream(config, userMessages()));
    expect(stream.error).toBeDefined();
    await expectNothingLeaked([['the stream error message', String(stream.error?.message)]]);
  });
});
