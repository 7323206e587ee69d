/**
 * `npm run bench:goodput`: 1000 logical calls at concurrency 50 against the fault server
 * rate-limited to 200 req/s (burst 10), through llm-resilience and every peer, in the same
 * run (a fresh server for each). Physical limit: N / rate = 5.0 s.
 * Targets for llm-resilience (issue #4): every call succeeds, total time <= 1.10 x 5.0 s,
 * 429 responses <= 5% of N.
 */
import {
  cockatiel,
  Contender,
  llmResilience,
  openaiSdk,
  plainCall,
  pRetryClient,
  retryDecorator,
  silenceLibraryLogs,
  Call,
} from './support/clients';
import { describeMachine, emitJson, machine, runMain, wantsJson } from './support/report';
import { startFaultServer } from '../src/testing';

export const GOODPUT = { calls: 1000, concurrency: 50, rps: 200, burst: 10 } as const;

export interface GoodputRow {
  name: string;
  ok: number;
  failed: number;
  seconds: number;
  /** seconds / (N / rate) */
  xLimit: number;
  requests: number;
  rateLimited: number;
  /** 429 responses / N */
  rateLimitedShare: number;
}

const ATTEMPTS = 10;
const INITIAL_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

export const GOODPUT_CONTENDERS: Contender[] = [
  {
    name: 'llm-resilience',
    make: llmResilience({ maxAttempts: ATTEMPTS, baseDelayMs: INITIAL_DELAY_MS, maxDelayMs: MAX_DELAY_MS }),
  },
  { name: 'openai SDK (maxRetries: 9)', make: openaiSdk(ATTEMPTS - 1) },
  { name: 'cockatiel', make: cockatiel(ATTEMPTS, INITIAL_DELAY_MS, MAX_DELAY_MS) },
  { name: 'p-retry', make: pRetryClient(ATTEMPTS, INITIAL_DELAY_MS, MAX_DELAY_MS) },
  { name: 'typescript-retry-decorator', make: retryDecorator(ATTEMPTS, INITIAL_DELAY_MS, MAX_DELAY_MS) },
  { name: 'plain call (no retry)', make: plainCall() },
];

async function runPool(call: Call): Promise<{ ok: number; failed: number }> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const worker = async () => {
    while (next < GOODPUT.calls) {
      const i = next++;
      try {
        await call(i);
        ok++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: GOODPUT.concurrency }, worker));
  return { ok, failed };
}

async function measure({ name, make }: Contender): Promise<GoodputRow> {
  const server = await startFaultServer({ rateLimit: { rps: GOODPUT.rps, burst: GOODPUT.burst } });
  try {
    const call = make(server.openaiBaseURL);
    const started = performance.now();
    const { ok, failed } = await runPool(call);
    const seconds = (performance.now() - started) / 1000;
    const rateLimited = server.requests.filter((request) => request.fault === 'rate-limited').length;
    return {
      name,
      ok,
      failed,
      seconds,
      xLimit: seconds / (GOODPUT.calls / GOODPUT.rps),
      requests: server.requests.length,
      rateLimited,
      rateLimitedShare: rateLimited / GOODPUT.calls,
    };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  silenceLibraryLogs();
  const started = machine();
  const rows: GoodputRow[] = [];
  for (const contender of GOODPUT_CONTENDERS) rows.push(await measure(contender));
  const limit = GOODPUT.calls / GOODPUT.rps;

  console.log(`rate-limited goodput — ${describeMachine(started)}`);
  console.log(
    `${GOODPUT.calls} calls, concurrency ${GOODPUT.concurrency}, server token bucket ${GOODPUT.rps} req/s burst ${GOODPUT.burst} (limit ${limit.toFixed(1)} s)\n`,
  );
  console.log('| client | succeeded | failed | total time (s) | × limit | HTTP requests | 429 responses | 429 / N |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.ok} | ${r.failed} | ${r.seconds.toFixed(2)} | ${r.xLimit.toFixed(2)} | ${r.requests} | ${r.rateLimited} | ${(100 * r.rateLimitedShare).toFixed(1)}% |`,
    );
  }
  if (wantsJson()) emitJson({ machine: started, rows });
}

runMain(module, main);
