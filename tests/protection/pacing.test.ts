/**
 * Pacing learned from the `x-ratelimit-*` headers of a rate-limited fault server
 * (`rateLimit: { rps: 50, burst: 5 }`, 3000 requests per minute in the headers), through
 * `ResilientLLMService` and the real openai SDK: 100 calls at concurrency 20 all succeed,
 * with few 429s (those of the opening burst, sent before any response could tell the limit),
 * in about the physical minimum time. About 2 s of real time.
 */
import { ResilientLLMService } from '../../src';
import { openaiConfig, realNow, useLLMTestEnvironment, userMessages } from '../llm/helpers';

const env = useLLMTestEnvironment();

const RPS = 50;
const BURST = 5;
const CALLS = 100;
const CONCURRENCY = 20;

/** Runs `count` tasks, at most `concurrency` at a time, in order of index. */
async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

it(`${CALLS} calls at concurrency ${CONCURRENCY} against ${RPS} req/s (burst ${BURST}): all succeed with few 429s, in about the physical minimum time`, async () => {
  const svc = new ResilientLLMService({ tracer: env.tracer });
  // Warm-up on another server and key (module loading, first connection) outside the timing.
  const warmServer = await env.startServer();
  await svc.resilientChatCompletion(openaiConfig(warmServer, { model: 'warm-up' }), {
    messages: userMessages('warm up'),
  });

  const server = await env.startServer({ rateLimit: { rps: RPS, burst: BURST } });
  const config = openaiConfig(server);
  const started = realNow();
  const answers = await pool(CALLS, CONCURRENCY, (i) =>
    svc
      .resilientChatCompletion(config, { messages: userMessages(`question ${i}`) })
      .then((completion) => completion.choices[0].message.content),
  );
  const elapsedMs = realNow() - started;

  // Every call succeeded (none ran out of its 3 attempts).
  expect(answers).toEqual(Array.from({ length: CALLS }, (_, i) => `Echo: question ${i}`));
  const ok = server.requests.filter((request) => request.fault === 'ok');
  const refused = server.requests.filter((request) => request.fault === 'rate-limited');
  expect(ok).toHaveLength(CALLS);
  expect(server.requests).toHaveLength(CALLS + refused.length);

  // Few 429s: at most one per call of the opening burst, which went out before any response
  // carried the limit (measured: 8 to 14 here, all among the first ~25 requests; none once the
  // calls are paced).
  expect(refused.length).toBeLessThanOrEqual(CONCURRENCY);

  // About the physical minimum ((N - burst) / rps): ~1.05x normally. The bound leaves room for
  // slow machines, where late timers bunch paced requests into bursts above the server's 5,
  // and the limiter cuts its rate on the 429s that follow and takes a while to recover.
  const physicalMs = ((CALLS - BURST) * 1000) / RPS;
  expect(elapsedMs).toBeGreaterThanOrEqual(physicalMs - 50);
  expect(elapsedMs).toBeLessThan(physicalMs * 2);

  // 429s answered by pacing, not by the breaker (on by default in the service).
  expect(env.tracer.named('circuit_opened')).toEqual([]);
}, 15_000);
