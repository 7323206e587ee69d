/**
 * `npm run bench:outage`: 100 logical calls per second for 6 s (open loop: a new call every
 * 10 ms whatever happens to the others) against the fault server answering every request
 * 503 for the first 3 s, through llm-resilience, the openai SDK's own retries, and
 * cockatiel, in the same run.
 * Targets for llm-resilience (issue #4): during the outage at most 1.2 HTTP attempts per
 * logical call offered; in the first second after recovery no more than 1.2x the offered
 * load (no retry storm on recovery).
 */
import * as os from 'node:os';
import { Call, cockatiel, llmResilience, openaiSdk, silenceLibraryLogs } from './support/clients';
import { startFaultServer } from '../src/testing';

const RATE = 100; // logical calls per second
const DURATION_MS = 6000;
const OUTAGE_MS = 3000;

interface Result {
  name: string;
  offered: number;
  ok: number;
  failed: number;
  outageRequests: number;
  outageOffered: number;
  recoveryRequests: number;
}

async function measure(name: string, make: (baseURL: string) => Call): Promise<Result> {
  const server = await startFaultServer({ script: Array(1_000_000).fill('503') });
  try {
    const call = make(server.openaiBaseURL);
    const t0 = Date.now();
    const recovery = setTimeout(() => server.setScript([]), OUTAGE_MS);
    const pending: Array<Promise<boolean>> = [];
    const interval = 1000 / RATE;
    for (let i = 0; i * interval < DURATION_MS; i++) {
      const due = t0 + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(call(i).then(() => true, () => false));
    }
    const outcomes = await Promise.all(pending);
    clearTimeout(recovery);
    const at = (request: { at: number }) => request.at - t0;
    return {
      name,
      offered: outcomes.length,
      ok: outcomes.filter(Boolean).length,
      failed: outcomes.filter((ok) => !ok).length,
      outageRequests: server.requests.filter((request) => at(request) < OUTAGE_MS).length,
      outageOffered: Math.round((OUTAGE_MS / 1000) * RATE),
      recoveryRequests: server.requests.filter((request) => at(request) >= OUTAGE_MS && at(request) < OUTAGE_MS + 1000).length,
    };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  silenceLibraryLogs();
  const results: Result[] = [
    await measure(
      'llm-resilience ResilientLLMService (breaker on by default, halfOpenAfterMs 1000)',
      llmResilience({ maxAttempts: 3, baseDelayMs: 200, circuitBreaker: { halfOpenAfterMs: 1000 } }),
    ),
    await measure('openai SDK (default maxRetries: 2)', openaiSdk()),
    await measure('cockatiel retry (3 attempts, exponential)', cockatiel(3, 200)),
  ];

  console.log(`outage — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}`);
  console.log(`${RATE} calls/s for ${DURATION_MS / 1000} s; every request answered 503 for the first ${OUTAGE_MS / 1000} s\n`);
  console.log('| client | calls | succeeded | failed | requests in outage | per call offered in outage | requests in 1st s after recovery | × offered load |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.offered} | ${r.ok} | ${r.failed} | ${r.outageRequests} | ${(r.outageRequests / r.outageOffered).toFixed(2)} | ${r.recoveryRequests} | ${(r.recoveryRequests / RATE).toFixed(2)} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
