/**
 * The bulkhead (`retryConfig.bulkhead: { maxConcurrency: 2, queueLimit: 1 }`) through the
 * fault server with `slow:MS` replies, with the real openai SDK: never more than 2 requests
 * in flight at the server (nor at the client), the 3rd call queues, a 4th concurrent call
 * rejects at once with `BulkheadRejectedError`; a call sleeping before its retry holds no slot.
 */
import {
  AgentExecutionError,
  BulkheadRejectedError,
  isAgentExecutionError,
  isBulkheadRejectedError,
  ResilientLLMService,
  RetryConfig,
} from '../../src';
import { openaiConfig, rejectionOf, useLLMTestEnvironment, userMessages } from '../llm/helpers';
import { chatAgent, FAST_RETRY, peakConcurrency } from './support';

const env = useLLMTestEnvironment();

const SLOW_MS = 40;
const BULKHEAD = { maxConcurrency: 2, queueLimit: 1 };

/** How many of `promises` have settled so far. */
function watch(promises: Array<Promise<unknown>>): () => number {
  let count = 0;
  for (const promise of promises)
    promise.then(
      () => count++,
      () => count++,
    );
  return () => count;
}

/** The question a recorded request carried. */
const questionOf = (request: { body: unknown }) =>
  (request.body as { messages: Array<{ content: string }> }).messages[0].content;

describe('@RetryOpenAI with the instance retryConfig { bulkhead }', () => {
  it('runs 2 requests at once, queues 1, and rejects a 4th concurrent call at once with BulkheadRejectedError', async () => {
    const server = await env.startServer({ script: Array(3).fill(`slow:${SLOW_MS}`) });
    const agent = chatAgent(
      server,
      { key: 'narrow-upstream', tracer: env.tracer },
      { retryConfig: new RetryConfig({ ...FAST_RETRY, bulkhead: BULKHEAD }) },
    );

    const calls = ['a', 'b', 'c', 'd'].map((q) => agent.complete(q));
    const settled = watch(calls.slice(0, 3));
    const rejected = await rejectionOf(calls[3]);
    // At once: while the other three are still running or queued.
    expect(settled()).toBe(0);
    expect(isBulkheadRejectedError(rejected)).toBe(true);
    expect(rejected).toBeInstanceOf(BulkheadRejectedError);
    expect(rejected.message).toBe('Too many concurrent calls to narrow-upstream (limit 2, queue 1)');
    expect(rejected).toMatchObject({ key: 'narrow-upstream', maxConcurrency: 2, queueLimit: 1 });

    await expect(Promise.all(calls.slice(0, 3))).resolves.toEqual(['Echo: a', 'Echo: b', 'Echo: c']);
    expect(server.requests.map(questionOf)).toEqual(['a', 'b', 'c']);
    expect(server.requests.map((request) => request.fault)).toEqual(Array(3).fill(`slow:${SLOW_MS}`));
    // The queued call was sent only after one of the first two was answered.
    const [first, second, third] = server.requests;
    expect(third.at).toBeGreaterThanOrEqual(Math.min(first.at, second.at) + SLOW_MS);
    expect(peakConcurrency(server.requests, SLOW_MS)).toBe(2);
    expect(agent.peakInFlight()).toBe(2);
    // The rejected call started no attempt.
    expect(env.tracer.named('retry_attempt_start')).toHaveLength(3);
  });

  it('many concurrent calls: at most 2 in flight at the server, queueLimit waiting, the rest rejected at once', async () => {
    const server = await env.startServer({ script: Array(20).fill(`slow:${SLOW_MS / 2}`) });
    const agent = chatAgent(
      server,
      { key: 'narrow-upstream' },
      { retryConfig: new RetryConfig({ ...FAST_RETRY, bulkhead: { maxConcurrency: 2, queueLimit: 4 } }) },
    );
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => agent.complete(`q${i}`).catch((error: unknown) => error)),
    );
    expect(outcomes.slice(0, 6)).toEqual(Array.from({ length: 6 }, (_, i) => `Echo: q${i}`));
    expect(outcomes.slice(6).every(isBulkheadRejectedError)).toBe(true);
    expect(server.requests).toHaveLength(6);
    expect(peakConcurrency(server.requests, SLOW_MS / 2)).toBe(2);
    expect(agent.peakInFlight()).toBe(2);
  });

  it('a call sleeping before its retry holds no slot: the queued calls go first', async () => {
    const server = await env.startServer({ script: ['503'] });
    const agent = chatAgent(
      server,
      { key: 'narrow-upstream', tracer: env.tracer },
      { retryConfig: new RetryConfig({ ...FAST_RETRY, bulkhead: { maxConcurrency: 1, queueLimit: 3 } }) },
    );
    const answers = await Promise.all(['a', 'b', 'c'].map((q) => agent.complete(q)));
    expect(answers).toEqual(['Echo: a', 'Echo: b', 'Echo: c']);
    // a failed and released its slot; b and c (queued before a's retry) went first.
    expect(server.requests.map(questionOf)).toEqual(['a', 'b', 'c', 'a']);
    expect(server.requests.map((request) => request.fault)).toEqual(['503', 'ok', 'ok', 'ok']);
    expect(agent.peakInFlight()).toBe(1);
  });
});

describe('ResilientLLMService with AgentConfig retryConfig.bulkhead', () => {
  it('never more than 2 requests in flight at the server; the 4th concurrent call is rejected with BulkheadRejectedError', async () => {
    const server = await env.startServer({ script: Array(3).fill(`slow:${SLOW_MS}`) });
    const svc = new ResilientLLMService({ tracer: env.tracer });
    const config = openaiConfig(server, { retryConfig: { ...FAST_RETRY, bulkhead: BULKHEAD } });

    const calls = ['a', 'b', 'c', 'd'].map((q) => svc.resilientChatCompletion(config, { messages: userMessages(q) }));
    const settled = watch(calls.slice(0, 3));
    const rejected = await rejectionOf(calls[3]);
    expect(settled()).toBe(0);
    expect(isAgentExecutionError(rejected)).toBe(true);
    const original = (rejected as AgentExecutionError).originalError;
    expect(isBulkheadRejectedError(original)).toBe(true);
    expect((original as BulkheadRejectedError).key).toBe(config.upstreamKey);
    expect((rejected as AgentExecutionError).attempts).toBe(0);
    // The safe message does not leak the key (it holds the server URL).
    expect((rejected as AgentExecutionError).message).not.toContain(server.url);

    const completions = await Promise.all(calls.slice(0, 3));
    expect(completions.map((completion) => completion.choices[0].message.content)).toEqual([
      'Echo: a',
      'Echo: b',
      'Echo: c',
    ]);
    expect(server.requests).toHaveLength(3);
    const [first, second, third] = server.requests;
    expect(third.at).toBeGreaterThanOrEqual(Math.min(first.at, second.at) + SLOW_MS);
    expect(peakConcurrency(server.requests, SLOW_MS)).toBe(2);
  });
});
