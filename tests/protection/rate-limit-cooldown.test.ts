/**
 * One 429 with Retry-After pauses every call to its key, through the fault server with the
 * real openai SDK: the server's request timestamps (`requests[i].at`) show no request to
 * that key between the 429 and the end of its Retry-After — first attempts and calls that
 * were sleeping their own backoff included — while calls to a different key keep sending.
 */
import { configureResilience, ResilientLLMService } from '../../src';
import type { FaultServer, RecordedRequest } from '../../src/testing';
import { openaiConfig, useLLMTestEnvironment, userMessages } from '../llm/helpers';
import { chatAgent, FAST_RETRY, modelOf, turns, until } from './support';

const env = useLLMTestEnvironment();

/** The request the server answered with a 429, and when its Retry-After ends (server clock). */
function rateLimited(server: FaultServer, spec: string): { request: RecordedRequest; until: number } {
  const hits = server.requests.filter((request) => request.fault === spec);
  expect(hits).toHaveLength(1);
  return { request: hits[0], until: hits[0].at + Number(spec.split(':')[1]) };
}

describe.each([
  ['with a tracer (supervised path)', true],
  ['without a tracer (lean path)', false],
])('@RetryOpenAI({ key }) %s', (_mode, traced) => {
  it('a 429 with Retry-After holds back every call to the key, first attempts included, until it ends', async () => {
    const server = await env.startServer({ script: ['429:60'] });
    const options = { key: 'rl-upstream', ...FAST_RETRY, ...(traced ? { tracer: env.tracer } : {}) };
    const first = chatAgent(server, options);
    // Another class (another method) with the same key, told apart by its model.
    const sameKey = chatAgent(server, options, { model: 'gpt-4o' });

    const a = first.complete('a');
    await until(() => first.failures.length === 1, 'the 429');
    await turns(); // the engine has seen it too
    expect(first.failures[0].status).toBe(429);

    // Started during the cooldown: none of them may send before it ends.
    const later = [sameKey.complete('b'), sameKey.complete('c'), first.complete('d')];
    const answers = await Promise.all([a, ...later]);
    expect(answers).toEqual(['Echo: a', 'Echo: b', 'Echo: c', 'Echo: d']);

    const cooldown = rateLimited(server, '429:60');
    expect(server.requests.indexOf(cooldown.request)).toBe(0);
    const after = server.requests.slice(1);
    expect(after).toHaveLength(4); // a's retry, b, c, d: one request each
    for (const request of after) expect(request.at).toBeGreaterThanOrEqual(cooldown.until);
    expect(after.map((request) => request.fault)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});

describe('@RetryOpenAI({ key }): calls already running when the 429 arrives', () => {
  it('a call sleeping its own backoff wakes into the cooldown and waits for it too', async () => {
    // random 0.99: full-jitter backoff of the first retry ~99 ms (instead of 0).
    configureResilience({ random: () => 0.99 });
    const server = await env.startServer({ script: ['503', '429:150'] });
    const options = { key: 'rl-upstream', tracer: env.tracer, ...FAST_RETRY };
    const sleeper = chatAgent(server, options, { model: 'gpt-4o' });
    const limited = chatAgent(server, options);

    const b = sleeper.complete('b');
    await until(() => sleeper.failures.length === 1, 'the 503');
    await turns();
    expect(env.tracer.named('retry_backoff_delay')).toEqual([
      { attempt: 1, delay_seconds: 0.099, backoff_formula: expect.any(String), source: 'backoff' },
    ]);
    const a = limited.complete('a'); // gets the 429 while b sleeps ~99 ms
    await until(() => limited.failures.length === 1, 'the 429');
    expect(limited.failures[0].status).toBe(429);
    expect(limited.failures[0].at - sleeper.failures[0].at).toBeLessThan(99); // b is still asleep

    await expect(Promise.all([a, b])).resolves.toEqual(['Echo: a', 'Echo: b']);
    const cooldown = rateLimited(server, '429:150');
    const retries = server.requests.slice(2);
    expect(retries.map(modelOf).sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);
    for (const request of retries) expect(request.at).toBeGreaterThanOrEqual(cooldown.until);
  });
});

describe('a different key is unaffected', () => {
  it('decorators: another key keeps sending during the cooldown of this one', async () => {
    const server = await env.startServer({ script: ['429:150'] });
    const limited = chatAgent(server, { key: 'rl-upstream', tracer: env.tracer, ...FAST_RETRY });
    const other = chatAgent(server, { key: 'other-upstream', tracer: env.tracer, ...FAST_RETRY }, { model: 'gpt-4.1' });

    const a = limited.complete('a');
    await until(() => limited.failures.length === 1, 'the 429');
    await turns();
    const waiting = limited.complete('b');
    for (const q of ['x', 'y', 'z']) await expect(other.complete(q)).resolves.toBe(`Echo: ${q}`);
    await expect(Promise.all([a, waiting])).resolves.toEqual(['Echo: a', 'Echo: b']);

    const cooldown = rateLimited(server, '429:150');
    const others = server.requests.filter((request) => modelOf(request) === 'gpt-4.1');
    const sameKey = server.requests.filter(
      (request) => modelOf(request) === 'gpt-4o-mini' && request !== cooldown.request,
    );
    expect(others).toHaveLength(3);
    for (const request of others) expect(request.at).toBeLessThan(cooldown.until);
    expect(sameKey).toHaveLength(2);
    for (const request of sameKey) expect(request.at).toBeGreaterThanOrEqual(cooldown.until);
    // The other key's calls were sent while this key was holding back.
    expect(server.requests.map(modelOf)).toEqual([
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1',
      'gpt-4.1',
      'gpt-4o-mini',
      'gpt-4o-mini',
    ]);
  });

  it('ResilientLLMService: another model (default key) keeps sending; a config given the same key waits', async () => {
    const server = await env.startServer({ script: ['429:150'] });
    const svc = new ResilientLLMService({ tracer: env.tracer });
    const limited = openaiConfig(server, { model: 'gpt-4o-mini', retryConfig: { ...FAST_RETRY } });
    const other = openaiConfig(server, { model: 'gpt-4o', retryConfig: { ...FAST_RETRY } });
    const sameKey = openaiConfig(server, {
      model: 'gpt-4.1',
      key: limited.upstreamKey,
      retryConfig: { ...FAST_RETRY },
    });
    expect(other.upstreamKey).not.toBe(limited.upstreamKey);
    const ask = (config: typeof limited, q: string) =>
      svc
        .resilientChatCompletion(config, { messages: userMessages(q) })
        .then((completion) => completion.choices[0].message.content);

    const a = ask(limited, 'a');
    await until(() => env.tracer.named('retry_backoff_delay').length === 1, 'the 429 to be handled');
    expect(env.tracer.named('retry_backoff_delay')[0]).toMatchObject({ source: 'retry-after', delay_seconds: 0.15 });
    const waiting = ask(sameKey, 'same key');
    for (const q of ['x', 'y', 'z']) await expect(ask(other, q)).resolves.toBe(`Echo: ${q}`);
    await expect(Promise.all([a, waiting])).resolves.toEqual(['Echo: a', 'Echo: same key']);

    const cooldown = rateLimited(server, '429:150');
    for (const request of server.requests.filter((r) => modelOf(r) === 'gpt-4o'))
      expect(request.at).toBeLessThan(cooldown.until);
    const held = server.requests.filter((r) => r !== cooldown.request && modelOf(r) !== 'gpt-4o');
    expect(held.map(modelOf).sort()).toEqual(['gpt-4.1', 'gpt-4o-mini']);
    for (const request of held) expect(request.at).toBeGreaterThanOrEqual(cooldown.until);
    expect(server.requests).toHaveLength(6);
  });
});
