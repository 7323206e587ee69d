/**
 * `npm run bench`: the success-path overhead of a decorated method against a plain async
 * method, in ns/op (median of interleaved runs) and bytes allocated per call, with
 * cockatiel's retry policy measured in the same run for reference.
 *
 * Note on Node 20: the first AsyncLocalStorage.run() in a process installs a promise hook
 * that slows every promise afterwards. llm-resilience switches its async context on only
 * once getRetryContext() is used; the last rows show the cost when it is on (as in an
 * application that uses AsyncLocalStorage anyway: OpenTelemetry, NestJS request scopes).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import * as os from 'node:os';
import { handleAll, retry, ExponentialBackoff } from 'cockatiel';
import { getRetryContext, RetryOpenAI } from '../src';

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

const CALLS = 100_000;
const RUNS = 15;

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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(targets: Record<string, Target>): Promise<Record<string, { ns: number; bytes?: number }>> {
  const runs: Record<string, number[]> = {};
  for (const name of Object.keys(targets)) {
    runs[name] = [];
    await timeRun(targets[name], CALLS); // warm-up
  }
  for (let r = 0; r < RUNS; r++) {
    for (const [name, target] of Object.entries(targets)) runs[name].push(await timeRun(target, CALLS));
  }
  const out: Record<string, { ns: number; bytes?: number }> = {};
  for (const [name, target] of Object.entries(targets)) {
    out[name] = { ns: median(runs[name]), bytes: await bytesPerCall(target) };
  }
  return out;
}

function print(title: string, results: Record<string, { ns: number; bytes?: number }>, baseline: string): void {
  const base = results[baseline];
  console.log(`\n${title}\n`);
  console.log('| method | ns/op | × plain | bytes/call | extra bytes |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, { ns, bytes }] of Object.entries(results)) {
    const extra = bytes !== undefined && base.bytes !== undefined ? (bytes - base.bytes).toFixed(0) : 'n/a';
    console.log(`| ${name} | ${ns.toFixed(1)} | ${(ns / base.ns).toFixed(2)} | ${bytes?.toFixed(0) ?? 'n/a'} | ${extra} |`);
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(`success-path overhead — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} × ${cpu}`);
  console.log(`${CALLS} sequential awaited calls per run, median of ${RUNS} interleaved runs`);
  const targets = { 'plain async method': new Plain(), '@RetryOpenAI()': new Decorated(), 'cockatiel retry': new Cockatiel() };
  print('Async context off (getRetryContext never used):', await measure(targets), 'plain async method');

  getRetryContext(); // switches the async context (AsyncLocalStorage) on for the rest of the process
  print('Async context on (AsyncLocalStorage in use in the process):', await measure(targets), 'plain async method');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
