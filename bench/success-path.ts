/**
 * `npm run bench:success` (and part of `npm run bench`): the success-path overhead of a
 * decorated method against a plain async method, in ns/op (median of interleaved runs) and
 * bytes allocated per call, with every peer that can wrap a method measured in the same
 * run: cockatiel's retry policy, p-retry, typescript-retry-decorator. (The openai SDK's
 * own retry is part of its HTTP client and cannot wrap a method: it has no row here.)
 * Every wrapper allows 3 attempts in all.
 *
 * Flags: `--runs N` (default 15), `--calls N` per run (default 100000; a wrapper that
 * costs microseconds per call runs as many as take ~150 ms, at least 2,000), `--json`.
 *
 * Note on Node 20: the first AsyncLocalStorage.run() in a process installs a promise hook
 * that slows every promise afterwards. llm-resilience switches its async context on only
 * once getRetryContext() is used; the second phase shows the cost when it is on (as in an
 * application that uses AsyncLocalStorage anyway: OpenTelemetry, NestJS request scopes).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { handleAll, retry, ExponentialBackoff } from 'cockatiel';
import pRetry from 'p-retry';
import { Retryable } from 'typescript-retry-decorator';
import { getRetryContext, RetryOpenAI } from '../src';
import { describeMachine, emitJson, machine, median, runMain, wantsJson } from './support/report';

type Target = { complete(x: number): Promise<number> };

class Plain {
  async complete(x: number): Promise<number> {
    return x + 1;
  }
}

class Decorated {
  @RetryOpenAI()
  async complete(x: number): Promise<number> {
    return x + 1;
  }
}

const cockatielPolicy = retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() });
class Cockatiel {
  private readonly inner = new Plain();
  complete(x: number): Promise<number> {
    return cockatielPolicy.execute(() => this.inner.complete(x));
  }
}

class PRetry {
  private readonly inner = new Plain();
  complete(x: number): Promise<number> {
    return pRetry(() => this.inner.complete(x), { retries: 2 });
  }
}

class RetryDecorator {
  @Retryable({ maxAttempts: 2, backOff: 1000, useConsoleLogger: false, useOriginalError: true })
  async complete(x: number): Promise<number> {
    return x + 1;
  }
}

export const SUCCESS_TARGETS = {
  'plain async method': () => new Plain(),
  'llm-resilience @RetryOpenAI()': () => new Decorated(),
  'cockatiel retry': () => new Cockatiel(),
  'p-retry': () => new PRetry(),
  'typescript-retry-decorator @Retryable': () => new RetryDecorator(),
} as const;
export const PLAIN = 'plain async method';
export const OURS = 'llm-resilience @RetryOpenAI()';

export interface SuccessRow {
  name: string;
  ns: number;
  bytes?: number;
  /** Calls per timed run. */
  calls: number;
}

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : NaN;
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const CALLS = flag('calls', 100_000);
const RUNS = flag('runs', 15);

async function timeRun(target: Target, calls: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await target.complete(i);
  return Number(process.hrtime.bigint() - start) / calls;
}

let gcCount = 0;
new PerformanceObserver((list) => (gcCount += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Bytes allocated per call, read from heapUsed over a stretch with no GC at all. */
async function bytesPerCall(target: Target, calls = 20_000): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  for (let tries = 0; tries < 5; tries++) {
    gc();
    await settle();
    const gcBefore = gcCount;
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) await target.complete(i);
    const after = process.memoryUsage().heapUsed;
    await settle();
    if (gcCount === gcBefore) return (after - before) / calls;
  }
  return undefined;
}

/**
 * Calls per run for a target: `--calls`, unless the wrapper costs microseconds per call (some
 * peers do): then as many as take ~150 ms, never fewer than 2,000. Sub-microsecond targets
 * all run the same number of calls, whatever a noisy estimate says.
 */
async function callsFor(target: Target): Promise<number> {
  await timeRun(target, 10_000);
  const ns = await timeRun(target, 5_000);
  if (ns < 1_500) return CALLS;
  return Math.max(2_000, Math.min(CALLS, Math.round(150e6 / ns)));
}

async function measure(targets: Record<string, Target>): Promise<SuccessRow[]> {
  const runs: Record<string, number[]> = {};
  const calls: Record<string, number> = {};
  for (const [name, target] of Object.entries(targets)) {
    runs[name] = [];
    calls[name] = await callsFor(target);
    await timeRun(target, calls[name]); // warm-up
  }
  for (let r = 0; r < RUNS; r++) {
    for (const [name, target] of Object.entries(targets)) runs[name].push(await timeRun(target, calls[name]));
  }
  const rows: SuccessRow[] = [];
  for (const [name, target] of Object.entries(targets)) {
    rows.push({ name, ns: median(runs[name]), bytes: await bytesPerCall(target, Math.min(20_000, calls[name])), calls: calls[name] });
  }
  return rows;
}

function print(title: string, rows: SuccessRow[]): void {
  const base = rows.find((row) => row.name === PLAIN)!;
  console.log(`\n${title}\n`);
  console.log('| method | ns/op | × plain | bytes/call | extra bytes | calls/run |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const { name, ns, bytes, calls } of rows) {
    const extra = bytes !== undefined && base.bytes !== undefined ? (bytes - base.bytes).toFixed(0) : 'n/a';
    console.log(`| ${name} | ${ns.toFixed(1)} | ${(ns / base.ns).toFixed(2)} | ${bytes?.toFixed(0) ?? 'n/a'} | ${extra} | ${calls} |`);
  }
}

async function main(): Promise<void> {
  const started = machine();
  console.log(`success-path overhead — ${describeMachine(started)}`);
  console.log(`up to ${CALLS} sequential awaited calls per run (fewer for a slow wrapper), median of ${RUNS} interleaved runs`);
  const targets = Object.fromEntries(Object.entries(SUCCESS_TARGETS).map(([name, make]) => [name, make()]));
  const off = await measure(targets);
  print('Async context off (getRetryContext never used):', off);

  getRetryContext(); // switches the async context (AsyncLocalStorage) on for the rest of the process
  const on = await measure(targets);
  print('Async context on (AsyncLocalStorage in use in the process):', on);
  if (wantsJson()) emitJson({ machine: started, calls: CALLS, runs: RUNS, off, on });
}

runMain(module, main);
