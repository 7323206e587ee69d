/**
 * AgentOrchestrator: users get the model's answer or a friendly, safe apology, never an
 * exception for an LLM failure; developers get `tracer.logError('RESILIENT_LLM_FAILURE', ...)`.
 */
import {
  AgentConfig,
  AgentOrchestrator,
  LLMServiceFactory,
  RESILIENT_LLM_FAILURE,
  ResilientLLMService,
  type Tracer,
} from '../../src';
import { openaiConfig, PROMPT, RecordingTracer, useLLMTestEnvironment, userMessages } from './helpers';

const env = useLLMTestEnvironment();

const apology = (message: string) =>
  `❌ I'm currently experiencing technical difficulties. ${message}. Please try again in a few moments.`;

describe('respond', () => {
  it('returns { content, agent, isError: false, completion } on success', async () => {
    const server = await env.startServer({ script: ['503', 'ok'] });
    const orchestrator = new AgentOrchestrator({ tracer: env.tracer });
    const response = await orchestrator.respond(
      openaiConfig(server, { name: 'support-bot' }),
      userMessages('hi there'),
    );
    expect(response).toEqual({
      content: 'Echo: hi there',
      agent: 'support-bot',
      isError: false,
      completion: expect.objectContaining({ object: 'chat.completion', model: 'gpt-4o-mini' }),
    });
    expect(response.completion!.choices[0].message.content).toBe('Echo: hi there');
    expect(server.requests).toHaveLength(2);
    expect(env.tracer.errors).toEqual([]);
  });

  it('names the agent by its model when it has no name, and accepts plain config input', async () => {
    const server = await env.startServer();
    const orchestrator = new AgentOrchestrator();
    const config = openaiConfig(server);
    const plain = { provider: 'openai' as const, model: 'gpt-4o', baseURL: server.openaiBaseURL, apiKey: 'sk-test' };
    expect((await orchestrator.respond(config, userMessages())).agent).toBe('gpt-4o-mini');
    expect((await orchestrator.respond(plain, userMessages())).agent).toBe('gpt-4o');
  });

  it.each([
    [['reset', 'reset', 'reset'], 'Connection error with the LLM service (after 3 attempts)', 'LLM_NETWORK'],
    [['503', '503', '503'], 'The LLM service is having problems (after 3 attempts)', 'LLM_SERVER'],
    [['429:10', '429:10', '429:10'], 'The LLM service is rate limiting requests (after 3 attempts)', 'LLM_RATE_LIMIT'],
    [['429-quota'], 'The LLM service quota is exhausted', 'LLM_QUOTA_EXHAUSTED'],
    [['401'], 'Authentication with the LLM service failed', 'LLM_AUTH'],
    [['400-content-filter'], "The request was rejected by the LLM service's content filter", 'LLM_CONTENT_FILTER'],
    [['400-context-length'], 'The conversation is too long for the LLM service', 'LLM_CONTEXT_LENGTH'],
  ])('on %j returns the error response with the safe message, and never throws', async (script, message, errorCode) => {
    const server = await env.startServer({ script });
    const orchestrator = new AgentOrchestrator({ tracer: env.tracer });
    const response = await orchestrator.respond(openaiConfig(server, { name: 'support-bot' }), userMessages());
    expect(response).toEqual({ content: apology(message), agent: 'support-bot', errorCode, isError: true });
    expect(server.requests).toHaveLength(script.length);
    expect(env.tracer.errors).toEqual([{ code: RESILIENT_LLM_FAILURE, message }]);
    expect(response.content).not.toContain(PROMPT);
    expect(response.content).not.toContain(server.url);
  });

  it('uses the agent model as its name in an error response when it has no name', async () => {
    const server = await env.startServer({ script: ['401'] });
    const response = await new AgentOrchestrator().respond(openaiConfig(server), userMessages());
    expect(response.agent).toBe('gpt-4o-mini');
    expect(response.isError).toBe(true);
  });

  it('turns a failure outside the LLM call (no API key anywhere) into a safe error response too', async () => {
    const server = await env.startServer();
    const service = new ResilientLLMService({ factory: new LLMServiceFactory({ env: {} }) });
    const orchestrator = new AgentOrchestrator({ service, tracer: env.tracer });
    const config = new AgentConfig({ provider: 'openai', model: 'gpt-4o-mini', baseURL: server.openaiBaseURL });
    const response = await orchestrator.respond(config, userMessages());
    expect(response.isError).toBe(true);
    expect(response.content).toMatch(
      /^❌ I'm currently experiencing technical difficulties\. .+\. Please try again in a few moments\.$/,
    );
    expect(response.content).not.toContain('OPENAI_API_KEY');
    expect(server.requests).toHaveLength(0);
    expect(env.tracer.errors).toHaveLength(1);
  });

  it('uses the service it was given', async () => {
    const server = await env.startServer({ script: ['500', 'ok'] });
    const serviceTracer = new RecordingTracer();
    const orchestrator = new AgentOrchestrator({ service: new ResilientLLMService({ tracer: serviceTracer }) });
    expect((await orchestrator.respond(openaiConfig(server), userMessages())).isError).toBe(false);
    expect(serviceTracer.named('llm_call_success')).toEqual([expect.objectContaining({ attempt: 2 })]);
  });
});

describe('callLLMWithConfigSafe', () => {
  it('returns the completion on success', async () => {
    const server = await env.startServer();
    const completion = await new AgentOrchestrator({ tracer: env.tracer }).callLLMWithConfigSafe(
      openaiConfig(server),
      userMessages('q'),
    );
    expect(completion?.choices[0].message.content).toBe('Echo: q');
    expect(env.tracer.errors).toEqual([]);
  });

  it("returns null on failure after calling tracer.logError('RESILIENT_LLM_FAILURE', safeMessage)", async () => {
    const server = await env.startServer({ script: ['503', '503', '503'] });
    const orchestrator = new AgentOrchestrator({ tracer: env.tracer });
    const result = await orchestrator.callLLMWithConfigSafe(openaiConfig(server), userMessages());
    expect(result).toBeNull();
    expect(env.tracer.errors).toEqual([
      { code: 'RESILIENT_LLM_FAILURE', message: 'The LLM service is having problems (after 3 attempts)' },
    ]);
    expect(RESILIENT_LLM_FAILURE).toBe('RESILIENT_LLM_FAILURE');
    // The constructor's tracer also received the retry events.
    expect(env.tracer.named('max_retries_exceeded')).toHaveLength(1);
  });

  it("a tracer argument overrides the constructor's for that call (events and logError)", async () => {
    const server = await env.startServer({ script: ['401', '503', 'ok'] });
    const orchestrator = new AgentOrchestrator({ tracer: env.tracer });
    const perCall = new RecordingTracer();

    expect(await orchestrator.callLLMWithConfigSafe(openaiConfig(server), userMessages(), perCall)).toBeNull();
    expect(perCall.errors).toEqual([
      { code: RESILIENT_LLM_FAILURE, message: 'Authentication with the LLM service failed' },
    ]);
    expect(perCall.names()).toEqual(['retry_attempt_start', 'retry_attempt_failed', 'retry_not_retryable']);
    expect(env.tracer.events).toEqual([]);
    expect(env.tracer.errors).toEqual([]);

    // The next call without one goes back to the constructor's tracer.
    expect(await orchestrator.callLLMWithConfigSafe(openaiConfig(server), userMessages())).not.toBeNull();
    expect(env.tracer.named('llm_call_success')).toEqual([expect.objectContaining({ attempt: 2 })]);
    expect(perCall.named('llm_call_success')).toEqual([]);
  });

  it('survives tracers without logError, or whose logError throws or rejects', async () => {
    const server = await env.startServer({ script: ['401', '401', '401'] });
    const orchestrator = new AgentOrchestrator();
    const tracers: Tracer[] = [
      { logEvent: () => undefined },
      {
        logEvent: () => undefined,
        logError: () => {
          throw new Error('tracer down');
        },
      },
      { logEvent: () => undefined, logError: () => Promise.reject(new Error('tracer down')) },
    ];
    for (const tracer of tracers) {
      await expect(
        orchestrator.callLLMWithConfigSafe(openaiConfig(server), userMessages(), tracer),
      ).resolves.toBeNull();
    }
    // Let a rejected logError settle: an unhandled rejection would fail the run.
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('with no tracer at all, still returns null', async () => {
    const server = await env.startServer({ script: ['429-quota'] });
    await expect(
      new AgentOrchestrator().callLLMWithConfigSafe(openaiConfig(server), userMessages()),
    ).resolves.toBeNull();
  });
});

describe('createErrorResponse', () => {
  const orchestrator = new AgentOrchestrator();

  it('builds { content, errorCode, agent, isError: true }', () => {
    const config = new AgentConfig({ provider: 'openai', model: 'gpt-4o', name: 'billing-bot' });
    expect(
      orchestrator.createErrorResponse('The LLM service quota is exhausted', config, 'LLM_QUOTA_EXHAUSTED'),
    ).toEqual({
      content: apology('The LLM service quota is exhausted'),
      errorCode: 'LLM_QUOTA_EXHAUSTED',
      agent: 'billing-bot',
      isError: true,
    });
  });

  it('uses the model when the config has no name, and takes plain input', () => {
    expect(
      orchestrator.createErrorResponse('Oops', new AgentConfig({ provider: 'openai', model: 'gpt-4o' }), 'X').agent,
    ).toBe('gpt-4o');
    expect(orchestrator.createErrorResponse('Oops', { model: 'gpt-4.1' }, 'X').agent).toBe('gpt-4.1');
    expect(orchestrator.createErrorResponse('Oops', { model: 'gpt-4.1', name: 'n' }, 'X').agent).toBe('n');
  });

  it('does not double the final period', () => {
    expect(orchestrator.createErrorResponse('Something went wrong.', { model: 'm' }, 'X').content).toBe(
      apology('Something went wrong'),
    );
    expect(orchestrator.createErrorResponse('Something went wrong', { model: 'm' }, 'X').content).toBe(
      apology('Something went wrong'),
    );
  });
});
