/**
 * The circuit breaker through the fault server, with the real openai SDK: it opens after
 * `failureThreshold` retryable failures and then fails fast without a request reaching the
 * server; half-open probes (a success closes, a failure re-opens with twice the wait);
 * state shared per key by decorated methods and `ResilientLLMService` (`AgentConfig.key`),
 * and other keys unaffected.
 */
import { APIError } from 'openai';
import {
  CircuitOpenError,
  configureResilience,
  isAgentExecutionError,
  isCircuitOpenError,
  LLMExecutor,
  ResilientLLMService,
  type AgentExecutionError,
} from '../../src';
import { flushLogs } from '../support/memory-transport';
import { openaiConfig, rejectionOf, useLLMTestEnvironment, userMessages } from '../llm/helpers';
import { chatAgent, FAST_RETRY, modelOf, pause } from './support';

const env = useLLMTestEnvironment();

/** The CircuitOpenError a call ends with. */
async function circuitOpen(promise: Promise<unknown>): Promise<CircuitOpenError> {
  const error = await rejectionOf(promise);
  expect(isCircuitOpenError(error)).toBe(true);
  return error as CircuitOpenError;
}

describe('@RetryOpenAI({ key, circuitBreaker })', () => {
  it('opens after failureThreshold retryable failures; then calls fail fast with CircuitOpenError and no request reaches the server', async () => {
    const server = await env.startServer({ script: ['503', '503', '503'] });
    const agent = chatAgent(server, {
      key: 'chat-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 60_000 },
    });

    const first = await rejectionOf(agent.complete('q1'));
    expect(first).toBeInstanceOf(APIError);
    expect((first as APIError).status).toBe(503); // the last attempt's own error
    expect(server.requests).toHaveLength(3);
    expect(env.tracer.named('circuit_opened')).toEqual([{ key: 'chat-upstream', failures: 3 }]);

    for (let i = 0; i < 5; i++) {
      const refused = await circuitOpen(agent.complete(`q${i + 2}`));
      expect(refused).toBeInstanceOf(CircuitOpenError);
      expect(refused.key).toBe('chat-upstream');
      expect(refused.message).toBe('The service is temporarily unavailable');
      expect(refused.retryAfterMs).toBeGreaterThan(59_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    // Nothing reached the server, and no attempt was even started.
    expect(server.requests).toHaveLength(3);
    expect(env.tracer.named('retry_attempt_start')).toHaveLength(3);
    expect(env.tracer.named('retry_not_retryable')).toEqual(
      Array(5).fill({ attempt: 1, kind: 'circuit_open', reason: 'circuit_open' }),
    );
    await flushLogs();
    expect(
      env.log.at('warn').filter((entry) => /Circuit for chat-upstream opened after 3 failures/.test(entry.message)),
    ).toHaveLength(1);
  });

  it('a call whose failures open the circuit stops retrying at once: CircuitOpenError caused by the last failure', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const agent = chatAgent(server, {
      key: 'chat-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 5,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 },
    });

    const refused = await circuitOpen(agent.complete('q'));
    expect(server.requests).toHaveLength(2); // not 5
    expect(refused.cause).toBeInstanceOf(APIError);
    expect((refused.cause as APIError).status).toBe(503);
    expect(env.tracer.named('retry_not_retryable')).toEqual([
      { attempt: 3, kind: 'circuit_open', reason: 'circuit_open' },
    ]);
  });

  it('is shared by every decorated method with the same key; another key keeps sending', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const breaker = { failureThreshold: 2, halfOpenAfterMs: 60_000 };
    const opener = chatAgent(server, {
      key: 'shared-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 2,
      circuitBreaker: breaker,
    });
    const sameKey = chatAgent(
      server,
      { key: 'shared-upstream', tracer: env.tracer, ...FAST_RETRY, circuitBreaker: breaker },
      { model: 'gpt-4o' },
    );
    const otherKey = chatAgent(
      server,
      { key: 'other-upstream', tracer: env.tracer, ...FAST_RETRY, circuitBreaker: breaker },
      { model: 'gpt-4.1' },
    );

    await rejectionOf(opener.complete('q'));
    expect(server.requests).toHaveLength(2);

    expect((await circuitOpen(sameKey.complete('q'))).key).toBe('shared-upstream');
    expect(server.requests).toHaveLength(2);

    await expect(otherKey.complete('hello')).resolves.toBe('Echo: hello');
    await expect(otherKey.complete('again')).resolves.toBe('Echo: again');
    expect(server.requests.map(modelOf)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1']);
    expect(env.tracer.named('circuit_opened')).toEqual([{ key: 'shared-upstream', failures: 2 }]);
  });

  it('after halfOpenAfterMs lets a probe through; its success closes the circuit and traffic flows again', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const agent = chatAgent(server, {
      key: 'chat-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 1,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 50 },
    });
    await rejectionOf(agent.complete('q1'));
    await rejectionOf(agent.complete('q2'));
    const refused = await circuitOpen(agent.complete('q3'));
    expect(refused.retryAfterMs).toBeLessThanOrEqual(50);
    expect(server.requests).toHaveLength(2);

    await pause(60);
    await expect(agent.complete('probe')).resolves.toBe('Echo: probe');
    expect(server.requests).toHaveLength(3);
    expect(env.tracer.names().filter((name) => name.startsWith('circuit_'))).toEqual([
      'circuit_opened',
      'circuit_half_open',
      'circuit_closed',
    ]);
    expect(env.tracer.named('circuit_half_open')).toEqual([{ key: 'chat-upstream' }]);
    expect(env.tracer.named('circuit_closed')).toEqual([{ key: 'chat-upstream' }]);

    const answers = await Promise.all(['a', 'b', 'c'].map((q) => agent.complete(q)));
    expect(answers).toEqual(['Echo: a', 'Echo: b', 'Echo: c']);
    expect(server.requests).toHaveLength(6);
    await flushLogs();
    expect(env.log.at('info').map((entry) => entry.message)).toEqual([
      'Circuit for chat-upstream is half-open: letting a probe through',
      'Circuit for chat-upstream closed',
    ]);
  });

  it.each([
    [1, 1],
    [2, 2],
  ])(
    'while half-open lets halfOpenMaxCalls (%i) probes reach the server and fails the other concurrent calls fast',
    async (halfOpenMaxCalls, probes) => {
      const server = await env.startServer({ script: ['503', '503'] });
      const agent = chatAgent(server, {
        key: 'chat-upstream',
        tracer: env.tracer,
        ...FAST_RETRY,
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 30, halfOpenMaxCalls },
      });
      await rejectionOf(agent.complete('q1'));
      await rejectionOf(agent.complete('q2'));
      await pause(40);

      // The probes are slow, so the other calls arrive while they are still running.
      server.setScript(Array(probes).fill('slow:30'));
      const outcomes = await Promise.all(
        ['a', 'b', 'c', 'd'].map((q) => agent.complete(q).catch((error: unknown) => error)),
      );
      const passed = outcomes.filter((outcome) => typeof outcome === 'string');
      const refused = outcomes.filter(isCircuitOpenError);
      expect(passed).toHaveLength(probes);
      expect(refused).toHaveLength(4 - probes);
      expect(server.requests).toHaveLength(2 + probes);
      expect(server.requests.slice(2).map((request) => request.fault)).toEqual(Array(probes).fill('slow:30'));

      // The probes succeeded: closed, everyone goes through.
      await expect(agent.complete('after')).resolves.toBe('Echo: after');
      expect(env.tracer.named('circuit_closed')).toEqual([{ key: 'chat-upstream' }]);
    },
  );

  it('a failed probe re-opens the circuit with twice the wait; a successful one closes it and resets the wait', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const agent = chatAgent(server, {
      key: 'chat-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 50 },
    });
    await circuitOpen(agent.complete('opens')); // 2 requests, then refused by its own open circuit
    expect(server.requests).toHaveLength(2);

    await pause(60);
    server.setScript(['503']);
    // The probe fails: the circuit re-opens at once, so the probe's call does not retry either.
    const afterProbe = await circuitOpen(agent.complete('probe'));
    expect(server.requests).toHaveLength(3);
    expect((afterProbe.cause as APIError).status).toBe(503);
    expect(afterProbe.retryAfterMs).toBeGreaterThan(50);
    expect(afterProbe.retryAfterMs).toBeLessThanOrEqual(100);
    expect(env.tracer.named('circuit_opened')).toEqual([
      { key: 'chat-upstream', failures: 2 },
      { key: 'chat-upstream', failures: 1 },
    ]);

    // 60 ms later (past the first wait, not the second) it is still open.
    await pause(60);
    await circuitOpen(agent.complete('too early'));
    expect(server.requests).toHaveLength(3);

    await pause(50);
    await expect(agent.complete('probe 2')).resolves.toBe('Echo: probe 2');
    expect(server.requests).toHaveLength(4);
    expect(env.tracer.names().filter((name) => name.startsWith('circuit_'))).toEqual([
      'circuit_opened',
      'circuit_half_open',
      'circuit_opened',
      'circuit_half_open',
      'circuit_closed',
    ]);

    // Closing forgot the failed probe: the next opening waits halfOpenAfterMs again.
    server.setScript(['503', '503']);
    const reopened = await circuitOpen(agent.complete('again'));
    expect(reopened.retryAfterMs).toBeLessThanOrEqual(50);
  });
});

describe('ResilientLLMService (breaker on by default) and AgentConfig.key', () => {
  const ask = (
    svc: ResilientLLMService,
    config: Parameters<ResilientLLMService['resilientChatCompletion']>[0],
    q = 'hello',
  ) => svc.resilientChatCompletion(config, { messages: userMessages(q) });

  async function agentFailure(promise: Promise<unknown>): Promise<AgentExecutionError> {
    const error = await rejectionOf(promise);
    expect(isAgentExecutionError(error)).toBe(true);
    return error as AgentExecutionError;
  }

  it('configs with the same key share one breaker (different models); a config with another key is unaffected', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const svc = new ResilientLLMService({ tracer: env.tracer });
    const retryConfig = { ...FAST_RETRY, maxAttempts: 2, circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 50 } };
    const mini = openaiConfig(server, { key: 'team-llm', model: 'gpt-4o-mini', retryConfig });
    const large = openaiConfig(server, { key: 'team-llm', model: 'gpt-4o', retryConfig });
    const other = openaiConfig(server, { model: 'gpt-4.1', retryConfig });
    expect(other.upstreamKey).not.toBe('team-llm');

    const first = await agentFailure(ask(svc, mini));
    expect(first.kind).toBe('server');
    expect(first.attempts).toBe(2);
    expect(env.tracer.named('circuit_opened')).toEqual([{ key: 'team-llm', failures: 2 }]);

    const refused = await agentFailure(ask(svc, large));
    expect(refused.kind).toBe('circuit_open');
    expect(refused.attempts).toBe(0);
    expect(refused.message).toBe('The LLM service is temporarily unavailable');
    expect(isCircuitOpenError(refused.originalError)).toBe(true);
    expect(server.requests).toHaveLength(2);

    const answer = await ask(svc, other, 'elsewhere');
    expect(answer.choices[0].message.content).toBe('Echo: elsewhere');
    expect(server.requests.map(modelOf)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4.1']);

    // Half-open after 50 ms: the probe (from the other model with the same key) closes it for both.
    await pause(60);
    await expect(ask(svc, large, 'probe')).resolves.toMatchObject({ model: 'gpt-4o' });
    await expect(ask(svc, mini, 'back')).resolves.toMatchObject({ model: 'gpt-4o-mini' });
    expect(env.tracer.named('circuit_half_open')).toEqual([{ key: 'team-llm' }]);
    expect(env.tracer.named('circuit_closed')).toEqual([{ key: 'team-llm' }]);
    expect(server.requests.map(modelOf)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4o', 'gpt-4o-mini']);
  });

  it('a failed probe through the service re-opens the circuit: circuit_open, no second request', async () => {
    const server = await env.startServer({ script: ['500', '500', '500'] });
    const svc = new ResilientLLMService({ tracer: env.tracer });
    const config = openaiConfig(server, {
      retryConfig: { ...FAST_RETRY, maxAttempts: 3, circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 40 } },
    });
    expect((await agentFailure(ask(svc, config))).kind).toBe('circuit_open');
    expect(server.requests).toHaveLength(2);
    await pause(50);
    const probe = await agentFailure(ask(svc, config));
    expect(probe.kind).toBe('circuit_open');
    expect(probe.attempts).toBe(1);
    expect(server.requests).toHaveLength(3);
    expect(env.tracer.named('circuit_opened')).toEqual([
      { key: config.upstreamKey, failures: 2 },
      { key: config.upstreamKey, failures: 1 },
    ]);
  });

  it('a decorated method and the service with the same key share the breaker', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const agent = chatAgent(server, {
      key: 'shared-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 2,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 },
    });
    await rejectionOf(agent.complete('q'));
    expect(server.requests).toHaveLength(2);

    const svc = new ResilientLLMService({ tracer: env.tracer });
    const refused = await agentFailure(ask(svc, openaiConfig(server, { key: 'shared-upstream' })));
    expect(refused.kind).toBe('circuit_open');
    expect(server.requests).toHaveLength(2);
  });
});

describe('a key whose breaker another caller created', () => {
  it('LLMExecutor (no breaker of its own) fails fast on a circuit ResilientLLMService opened, and its failures count toward it', async () => {
    const server = await env.startServer({ script: ['503', '503', '503', '503', '503'] });
    const config = openaiConfig(server, { retryConfig: { ...FAST_RETRY, maxAttempts: 1 } });
    const svc = new ResilientLLMService({ tracer: env.tracer }); // breaker on by default: 5 failures open it
    const executor = new LLMExecutor();
    // Service and executor failures alternate on one key: together they reach the threshold.
    for (let i = 0; i < 2; i++) {
      await rejectionOf(svc.resilientChatCompletion(config, { messages: userMessages() }));
      await rejectionOf(executor.executeText(config, userMessages()));
    }
    expect(env.tracer.named('circuit_opened')).toEqual([]);
    await rejectionOf(svc.resilientChatCompletion(config, { messages: userMessages() }));
    expect(env.tracer.named('circuit_opened')).toEqual([{ key: config.upstreamKey, failures: 5 }]);
    const requests = server.requests.length;
    const refused = await rejectionOf(executor.executeText(config, userMessages()));
    expect(isCircuitOpenError(refused)).toBe(true);
    expect(server.requests).toHaveLength(requests);
  });

  it('a decorated method without circuitBreaker on the key of one with it respects the open circuit', async () => {
    const server = await env.startServer({ script: ['503', '503'] });
    const guarded = chatAgent(server, {
      key: 'one-upstream',
      ...FAST_RETRY,
      maxAttempts: 2,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 },
    });
    const plain = chatAgent(server, { key: 'one-upstream', ...FAST_RETRY, maxAttempts: 2 });
    await rejectionOf(guarded.complete('q'));
    expect(server.requests).toHaveLength(2);
    expect(isCircuitOpenError(await rejectionOf(plain.complete('q')))).toBe(true);
    expect(server.requests).toHaveLength(2);
  });
});

describe('the service default gives way to configured breaker options', () => {
  it('ResilientLLMService uses the breaker options of configureResilience({ defaults })', async () => {
    configureResilience({ defaults: { circuitBreaker: { failureThreshold: 10 } } });
    const server = await env.startServer({ faultRate: 1, faults: ['503'] });
    const svc = new ResilientLLMService({ tracer: env.tracer });
    const config = openaiConfig(server, { retryConfig: { ...FAST_RETRY, maxAttempts: 1 } });
    for (let i = 0; i < 12; i++)
      await rejectionOf(svc.resilientChatCompletion(config, { messages: userMessages(`q${i}`) }));
    expect(env.tracer.named('circuit_opened')).toEqual([{ key: config.upstreamKey, failures: 10 }]);
    expect(server.requests).toHaveLength(10);
  });

  it('and configureResilience({ defaults: { circuitBreaker: false } }) turns it off', async () => {
    configureResilience({ defaults: { circuitBreaker: false } });
    const server = await env.startServer({ faultRate: 1, faults: ['503'] });
    const svc = new ResilientLLMService({ tracer: env.tracer });
    const config = openaiConfig(server, { retryConfig: { ...FAST_RETRY, maxAttempts: 1 } });
    for (let i = 0; i < 8; i++)
      await rejectionOf(svc.resilientChatCompletion(config, { messages: userMessages(`q${i}`) }));
    expect(env.tracer.named('circuit_opened')).toEqual([]);
    expect(server.requests).toHaveLength(8);
  });
});
