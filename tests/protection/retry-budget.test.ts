/**
 * The retry budget through the fault server during a long outage (every request answered
 * 503), with the real openai SDK: once the key's bucket is empty each call sends exactly
 * one request, `retry_budget_exhausted {key}` is emitted once per episode, successes refill
 * the bucket, and first attempts are never refused.
 */
import { APIError } from 'openai';
import { isAgentExecutionError, ResilientLLMService, type AgentExecutionError } from '../../src';
import { flushLogs } from '../support/memory-transport';
import { openaiConfig, useLLMTestEnvironment, userMessages } from '../llm/helpers';
import { chatAgent, FAST_RETRY } from './support';

const env = useLLMTestEnvironment();

/** A server in a long outage: 503 to everything (a script set later runs first, then 503 again). */
const outage = () => env.startServer({ faultRate: 1, faults: ['503'] });

/** Runs `calls` calls one after the other; returns how many requests each sent and how it ended. */
async function sequential(
  server: { requests: unknown[] },
  calls: number,
  call: (i: number) => Promise<unknown>,
): Promise<{ sent: number[]; outcomes: unknown[] }> {
  const sent: number[] = [];
  const outcomes: unknown[] = [];
  for (let i = 0; i < calls; i++) {
    const before = server.requests.length;
    outcomes.push(await call(i).catch((error: unknown) => error));
    sent.push(server.requests.length - before);
  }
  return { sent, outcomes };
}

const budgetWarnings = async (key: string) => {
  await flushLogs();
  return env.log
    .at('warn')
    .filter(
      (entry) =>
        entry.message === `Retry budget for ${key} is exhausted: failures are not retried until successes refill it`,
    );
};

describe('@RetryOpenAI({ key, retryBudget }) during an outage', () => {
  it('stops retrying once the bucket is empty: each later call sends exactly 1 request; one event per episode', async () => {
    const server = await outage();
    const agent = chatAgent(server, {
      key: 'outage-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      retryBudget: { capacity: 20, retryCost: 5, successRefund: 1 },
    });

    const { sent, outcomes } = await sequential(server, 20, (i) => agent.complete(`q${i}`));
    // 20 tokens pay for 4 retries: two calls retry twice, then every call sends its first attempt only.
    expect(sent).toEqual([3, 3, ...Array(18).fill(1)]);
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(APIError); // the original error is rethrown
      expect((outcome as APIError).status).toBe(503);
    }
    expect(server.requests).toHaveLength(24);
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([{ key: 'outage-upstream' }]);
    expect(env.tracer.named('retry_not_retryable')).toEqual(
      Array(18).fill({ attempt: 1, kind: 'server', reason: 'retry_budget' }),
    );
    expect(env.tracer.named('max_retries_exceeded')).toHaveLength(2);
    expect(await budgetWarnings('outage-upstream')).toHaveLength(1);
  });

  it('successes refill the bucket: the episode ends once it can pay a retry again, and the next exhaustion is a new episode', async () => {
    const server = await outage();
    const agent = chatAgent(server, {
      key: 'outage-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      retryBudget: { capacity: 10, retryCost: 5, successRefund: 1 },
    });
    expect((await sequential(server, 4, (i) => agent.complete(`q${i}`))).sent).toEqual([3, 1, 1, 1]);
    expect(env.tracer.named('retry_budget_exhausted')).toHaveLength(1);

    // The outage eases for 4 calls: 4 tokens, still less than a retry costs.
    server.setScript(Array(4).fill('ok'));
    expect((await sequential(server, 4, (i) => agent.complete(`ok${i}`))).sent).toEqual([1, 1, 1, 1]);
    expect((await sequential(server, 1, () => agent.complete('still down'))).sent).toEqual([1]);
    expect(env.tracer.named('retry_budget_exhausted')).toHaveLength(1); // the same episode

    // One more success: 5 tokens, one retry affordable; the episode is over.
    server.setScript(['ok']);
    await expect(agent.complete('ok again')).resolves.toBe('Echo: ok again');
    expect((await sequential(server, 3, (i) => agent.complete(`down${i}`))).sent).toEqual([2, 1, 1]);
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([
      { key: 'outage-upstream' },
      { key: 'outage-upstream' },
    ]);
    expect(await budgetWarnings('outage-upstream')).toHaveLength(2);
  });

  it('a call that recovers after a retry refunds what it paid, so a flaky (not down) upstream never empties the bucket', async () => {
    const server = await env.startServer({ script: Array.from({ length: 30 }, () => ['503', 'ok']).flat() });
    const agent = chatAgent(server, {
      key: 'flaky-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      retryBudget: { capacity: 10, retryCost: 5 },
    });
    // 30 calls, each failing once then succeeding: 30 retries from a bucket of 2.
    const { sent, outcomes } = await sequential(server, 30, (i) => agent.complete(`q${i}`));
    expect(sent).toEqual(Array(30).fill(2));
    expect(outcomes).toEqual(Array.from({ length: 30 }, (_, i) => `Echo: q${i}`));
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([]);
  });

  it('many concurrent calls during the outage: exactly the retries the bucket pays, first attempts never refused, one event', async () => {
    const server = await outage();
    const agent = chatAgent(server, {
      key: 'outage-upstream',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      retryBudget: { capacity: 20, retryCost: 5 },
    });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => agent.complete(`q${i}`).catch((error: unknown) => error)),
    );
    expect(outcomes.every((outcome) => outcome instanceof APIError && outcome.status === 503)).toBe(true);
    // 50 first attempts + the 4 retries 20 tokens pay for, whichever calls got them.
    expect(server.requests).toHaveLength(54);
    expect(env.tracer.named('retry_attempt_start')).toHaveLength(54);
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([{ key: 'outage-upstream' }]);
  });

  it('the budget is per key: another key still retries while this one is exhausted', async () => {
    const server = await outage();
    const budget = { capacity: 10, retryCost: 5 };
    const drained = chatAgent(server, {
      key: 'key-a',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      retryBudget: budget,
    });
    const fresh = chatAgent(
      server,
      { key: 'key-b', tracer: env.tracer, ...FAST_RETRY, maxAttempts: 3, retryBudget: budget },
      { model: 'gpt-4o' },
    );
    expect((await sequential(server, 3, (i) => drained.complete(`a${i}`))).sent).toEqual([3, 1, 1]);
    expect((await sequential(server, 2, (i) => fresh.complete(`b${i}`))).sent).toEqual([3, 1]);
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([{ key: 'key-a' }, { key: 'key-b' }]);
  });

  it('retryBudget: false turns it off: every call retries to maxAttempts', async () => {
    const server = await outage();
    const agent = chatAgent(server, {
      key: 'unbudgeted',
      tracer: env.tracer,
      ...FAST_RETRY,
      maxAttempts: 3,
      retryBudget: false,
    });
    expect((await sequential(server, 10, (i) => agent.complete(`q${i}`))).sent).toEqual(Array(10).fill(3));
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([]);
  });
});

describe('ResilientLLMService with the default budget during an outage', () => {
  it('the default bucket (500 tokens, 5 per retry) pays 100 retries; after that each call sends 1 request', async () => {
    const server = await outage();
    const svc = new ResilientLLMService({ tracer: env.tracer });
    // The breaker (on by default in the service) is off here, so the budget alone limits retries.
    const config = openaiConfig(server, { retryConfig: { ...FAST_RETRY, maxAttempts: 3, circuitBreaker: false } });
    const { sent, outcomes } = await sequential(server, 70, (i) =>
      svc.resilientChatCompletion(config, { messages: userMessages(`q${i}`) }),
    );
    expect(sent).toEqual([...Array(50).fill(3), ...Array(20).fill(1)]);
    expect(server.requests).toHaveLength(170);
    expect(env.tracer.named('retry_budget_exhausted')).toEqual([{ key: config.upstreamKey }]);

    const errors = outcomes as AgentExecutionError[];
    expect(errors.every(isAgentExecutionError)).toBe(true);
    expect(errors.every((error) => error.kind === 'server')).toBe(true);
    expect(errors.map((error) => error.attempts)).toEqual(sent);
    expect(errors[69].message).toBe('The LLM service is having problems (after 1 attempt)');
    expect((errors[69].originalError as APIError).status).toBe(503);
  });
});
