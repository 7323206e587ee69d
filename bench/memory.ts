/**
 * `npm run bench:memory` (and part of `npm run bench`; needs `node --expose-gc`): the heap
 * retained after 1,000,000 decorated calls, after full GCs, for the success path and for
 * calls that fail once and succeed on their one retry. Target (issue #7): less than 1 MB
 * growth for each.
 *
 * The retries sleep 0 ms: full jitter with `random: () => 0`. They run in batches of
 * 10,000 concurrent calls, so that timers of one batch fire together (a 0 ms timer still
 * waits for the next turn of the event loop, ~1 ms). The retrying method turns the retry
 * budget off: with it on (the default), a million failures in a row would empty it and
 * most calls would fail instead of retrying, which is the budget's job but not this test.
 * A plain async method is measured the same way, as the noise floor.
 */
import { configureResilience, RetryOpenAI } from '../src';
import { silenceLibraryLogs } from './support/clients';
import { describeMachine, emitJson, machine, runMain, wantsJson } from './support/report';

export const MEMORY = { calls: 1_000_000, batch: 10_000, warmup: 50_000 } as const;

export interface MemoryRow {
  name: string;
  calls: number;
  /** Calls that resolved (all of them, or the run is not what it claims). */
  succeeded: number;
  /** Attempts the method saw (calls, or 2 x calls with one retry each). */
  attempts: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  growthBytes: number;
  seconds: number;
}

let attempts = 0;

class Plain {
  async complete(x: number): Promise<number> {
    attempts++;
    return x + 1;
  }
}

class SuccessPath {
  @RetryOpenAI()
  async complete(x: number): Promise<number> {
    attempts++;
    return x + 1;
  }
}

/**
 * A 503 shaped like openai's (class name, `status`, `headers`), fresh for every failure but
 * without the SDK's message building and Headers object, which would cost several times
 * what the retry itself costs (the run takes minutes instead of seconds on 2 cores).
 */
class InternalServerError extends Error {
  readonly status = 503;
  readonly headers = undefined;
}

/** Fails the first attempt of every call (a fresh 503 each time), then succeeds. */
class OneRetryEach {
  private readonly failed = new Set<number>();

  @RetryOpenAI({ retryBudget: false })
  async complete(x: number): Promise<number> {
    attempts++;
    if (!this.failed.has(x)) {
      this.failed.add(x);
      throw new InternalServerError('busy');
    }
    this.failed.delete(x);
    return x + 1;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

async function fullGc(): Promise<number> {
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

async function drive(target: { complete(x: number): Promise<number> }, calls: number, offset: number): Promise<number> {
  let succeeded = 0;
  for (let start = 0; start < calls; start += MEMORY.batch) {
    const batch: Array<Promise<number>> = [];
    for (let i = start; i < Math.min(calls, start + MEMORY.batch); i++) batch.push(target.complete(offset + i));
    for (const outcome of await Promise.allSettled(batch)) if (outcome.status === 'fulfilled') succeeded++;
  }
  return succeeded;
}

async function measure(name: string, target: { complete(x: number): Promise<number> }): Promise<MemoryRow> {
  // Warm-up: JIT, per-key state, the first log and trace paths, lazily built tables.
  await drive(target, MEMORY.warmup, -MEMORY.warmup - 1);
  const heapBeforeBytes = await fullGc();
  attempts = 0;
  const started = performance.now();
  const succeeded = await drive(target, MEMORY.calls, 0);
  const seconds = (performance.now() - started) / 1000;
  const heapAfterBytes = await fullGc();
  return {
    name,
    calls: MEMORY.calls,
    succeeded,
    attempts,
    heapBeforeBytes,
    heapAfterBytes,
    growthBytes: heapAfterBytes - heapBeforeBytes,
    seconds,
  };
}

async function main(): Promise<void> {
  // The thrown errors' stack traces (deep, through the engine's frames) would cost more
  // CPU than the retries themselves; nothing here reads them.
  Error.stackTraceLimit = 0;
  silenceLibraryLogs();
  configureResilience({ random: () => 0 }); // full jitter x 0: every backoff is 0 ms
  const started = machine();
  const rows = [
    await measure('plain async method (noise floor)', new Plain()),
    await measure('@RetryOpenAI() success path', new SuccessPath()),
    await measure('@RetryOpenAI() one retry each', new OneRetryEach()),
  ];
  console.log(`memory — ${describeMachine(started)}`);
  console.log(
    `${MEMORY.calls} calls in batches of ${MEMORY.batch} after ${MEMORY.warmup} warm-up calls; heapUsed after 4 full GCs\n`,
  );
  console.log(
    '| method | calls | succeeded | attempts | heap before (MB) | heap after (MB) | growth (KB) | time (s) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.calls} | ${r.succeeded} | ${r.attempts} | ${(r.heapBeforeBytes / 2 ** 20).toFixed(2)} | ${(r.heapAfterBytes / 2 ** 20).toFixed(2)} | ${(r.growthBytes / 1024).toFixed(1)} | ${r.seconds.toFixed(1)} |`,
    );
  }
  if (wantsJson()) emitJson({ machine: started, rows });
}

runMain(module, main);
