/**
 * Pacing learned from the `x-ratelimit-*` headers of a rate-limited fault server
 * (`rateLimit: { rps: 50, burst: 5 }`, 3000 requests per minute in the headers), through
 * `ResilientLLMService` and the real openai SDK: 100 calls at concurrency 20 all succeed,
 * with few 429s (those of the opening burst, sent before any response could tell the limit),
 * paced by the limit the headers told. About 2 s of real time.
 */
import { getUpstreamState, ResilientLLMService } from '../../src';
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

it(`${CALLS} calls at concurrency ${CONCURRENCY} against ${RPS} req/s (burst ${BURST}): all succeed, paced by the told limit, with few 429s`, async () => {
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

  // The calls were paced by the limit the headers told (3000 per minute).
  expect(getUpstreamState(config.upstreamKey)?.pacing?.limitPerMinute).toBe(RPS * 60);

  // Few 429s: mostly those of the opening burst, which went out before any response carried
  // the limit (measured: 8 to 14 here, all among the first ~25 requests; none once the calls
  // are paced). The bound leaves room for a loaded machine, where late timers bunch paced
  // requests into bursts above the server's 5; unpaced, about 80 of the 100 calls get a 429.
  expect(refused.length).toBeLessThan(CALLS / 2);

  // No faster than the server allows ((N - burst) / rps). How close to that minimum it comes
  // (~1.05x) is a timing figure: measured by `npm run bench:goodput`, not asserted here, where
  // a loaded 2-core machine would break it.
  const physicalMs = ((CALLS - BURST) * 1000) / RPS;
  expect(elapsedMs).toBeGreaterThanOrEqual(physicalMs - 50);

  // 429s answered by pacing, not by the breaker (on by default in the service).
  expect(env.tracer.named('circuit_opened')).toEqual([]);
}, 15_000);
