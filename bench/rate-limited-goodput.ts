/**
 * `npm run bench:goodput`: 1000 logical calls at concurrency 50 against the fault server
 * rate-limited to 200 req/s (burst 10), through llm-resilience, the openai SDK's own
 * retries, and cockatiel, in the same run. Physical limit: N / rate = 5.0 s.
 * Targets for llm-resilience (issue #4): every call succeeds, total time <= 1.10 x 5.0 s,
 * 429 responses <= 5% of N.
 */
import * as os from 'node:os';
import { Call, cockatiel, llmResilience, openaiSdk, silenceLibraryLogs } from './support/clients';
import { startFaultServer } from '../src/testing';

const CALLS = 1000;
const CONCURRENCY = 50;
const RPS = 200;
const BURST = 10;

interface Result {
  name: string;
  ok: number;
  failed: number;
  seconds: number;
  requests: number;
  rateLimited: number;
}

async function runPool(call: Call): Promise<{ ok: number; failed: number }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const worker = async () => {
    while (next < CALLS) {
      const i = next++;
      try {
        await call(i);
        ok++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ok, failed };
}

async function measure(name: string, make: (baseURL: string) => Call): Promise<Result> {
  const server = await startFaultServer({ rateLimit: { rps: RPS, burst: BURST } });
  try {
    const call = make(server.openaiBaseURL);
    const started = performance.now();
    const { ok, failed } = await runPool(call);
    const seconds = (performance.now() - started) / 1000;
    return {
      name,
      ok,
      failed,
      seconds,
      requests: server.requests.length,
      rateLimited: server.requests.filter((request) => request.fault === 'rate-limited').length,
    };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  silenceLibraryLogs();
  const results: Result[] = [
    await measure('llm-resilience ResilientLLMService', llmResilience({ maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 2000 })),
    await measure('openai SDK (maxRetries: 10)', openaiSdk(10)),
    await measure('cockatiel retry (10 attempts, exponential)', cockatiel(10, 100, 2000)),
  ];
  const limit = CALLS / RPS;

  console.log(`rate-limited goodput — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}`);
  console.log(`${CALLS} calls, concurrency ${CONCURRENCY}, server token bucket ${RPS} req/s burst ${BURST} (limit ${limit.toFixed(1)} s)\n`);
  console.log('| client | succeeded | failed | total time (s) | × limit | HTTP requests | 429 responses | 429 / N |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.ok} | ${r.failed} | ${r.seconds.toFixed(2)} | ${(r.seconds / limit).toFixed(2)} | ${r.requests} | ${r.rateLimited} | ${((100 * r.rateLimited) / CALLS).toFixed(1)}% |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
