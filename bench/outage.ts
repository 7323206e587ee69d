/**
 * `npm run bench:outage`: 100 logical calls per second for 6 s (open loop: a new call every
 * 10 ms whatever happens to the others) against the fault server answering every request
 * 503 for the first 3 s, through llm-resilience and every peer, in the same run.
 * Targets for llm-resilience (issue #4): during the outage at most 1.2 HTTP attempts per
 * logical call offered; in the first second after recovery no more than 1.2x the offered
 * load (no retry storm on recovery).
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
} from './support/clients';
import { describeMachine, emitJson, machine, runMain, wantsJson } from './support/report';
import { startFaultServer } from '../src/testing';

export const OUTAGE = { rate: 100, durationMs: 6000, outageMs: 3000 } as const;

export interface OutageRow {
  name: string;
  offered: number;
  ok: number;
  failed: number;
  outageRequests: number;
  /** HTTP requests during the outage per logical call offered during it. */
  perCallInOutage: number;
  recoveryRequests: number;
  /** Requests in the first second after recovery / calls offered per second. */
  xOfferedAfterRecovery: number;
}

const ATTEMPTS = 3;
const INITIAL_DELAY_MS = 200;

export const OUTAGE_CONTENDERS: Contender[] = [
  {
    name: 'llm-resilience (breaker on by default, halfOpenAfterMs 1000)',
    make: llmResilience({
      maxAttempts: ATTEMPTS,
      baseDelayMs: INITIAL_DELAY_MS,
      circuitBreaker: { halfOpenAfterMs: 1000 },
    }),
  },
  { name: 'openai SDK (default maxRetries: 2)', make: openaiSdk() },
  { name: 'cockatiel', make: cockatiel(ATTEMPTS, INITIAL_DELAY_MS) },
  { name: 'p-retry', make: pRetryClient(ATTEMPTS, INITIAL_DELAY_MS) },
  { name: 'typescript-retry-decorator', make: retryDecorator(ATTEMPTS, INITIAL_DELAY_MS) },
  { name: 'plain call (no retry)', make: plainCall() },
];

async function measure({ name, make }: Contender): Promise<OutageRow> {
  const server = await startFaultServer({ script: Array(1_000_000).fill('503') });
  try {
    const call = make(server.openaiBaseURL);
    const t0 = Date.now();
    const recovery = setTimeout(() => server.setScript([]), OUTAGE.outageMs);
    const pending: Array<Promise<boolean>> = [];
    const interval = 1000 / OUTAGE.rate;
    for (let i = 0; i * interval < OUTAGE.durationMs; i++) {
      const due = t0 + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        call(i).then(
          () => true,
          () => false,
        ),
      );
    }
    const outcomes = await Promise.all(pending);
    clearTimeout(recovery);
    const at = (request: { at: number }) => request.at - t0;
    const outageRequests = server.requests.filter((request) => at(request) < OUTAGE.outageMs).length;
    const recoveryRequests = server.requests.filter(
      (request) => at(request) >= OUTAGE.outageMs && at(request) < OUTAGE.outageMs + 1000,
    ).length;
    return {
      name,
      offered: outcomes.length,
      ok: outcomes.filter(Boolean).length,
      failed: outcomes.filter((ok) => !ok).length,
      outageRequests,
      perCallInOutage: outageRequests / ((OUTAGE.outageMs / 1000) * OUTAGE.rate),
      recoveryRequests,
      xOfferedAfterRecovery: recoveryRequests / OUTAGE.rate,
    };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  silenceLibraryLogs();
  const started = machine();
  const rows: OutageRow[] = [];
  for (const contender of OUTAGE_CONTENDERS) rows.push(await measure(contender));

  console.log(`outage — ${describeMachine(started)}`);
  console.log(
    `${OUTAGE.rate} calls/s for ${OUTAGE.durationMs / 1000} s; every request answered 503 for the first ${OUTAGE.outageMs / 1000} s\n`,
  );
  console.log(
    '| client | calls | succeeded | failed | requests in outage | per call offered in outage | requests in 1st s after recovery | × offered load |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.offered} | ${r.ok} | ${r.failed} | ${r.outageRequests} | ${r.perCallInOutage.toFixed(2)} | ${r.recoveryRequests} | ${r.xOfferedAfterRecovery.toFixed(2)} |`,
    );
  }
  if (wantsJson()) emitJson({ machine: started, rows });
}

runMain(module, main);
