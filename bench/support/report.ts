/**
 * What every scenario script shares: the machine line, order statistics, and the hand-off
 * to `bench/run-all.ts` (a scenario run with `--json` prints its result on one line
 * prefixed with `BENCH_JSON `, after its usual markdown).
 */
import * as os from 'node:os';

export interface Machine {
  date: string;
  node: string;
  cores: number;
  cpu: string;
  memoryGiB: number;
  /** 1-minute load average when the run started: other work on the machine skews timings. */
  load: number;
}

export function machine(): Machine {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown cpu',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    load: os.loadavg()[0],
  };
}

export function describeMachine(m: Machine): string {
  return `${m.date} — Node ${m.node}, ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, load ${m.load.toFixed(2)}`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The q-quantile (0..1), nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const JSON_PREFIX = 'BENCH_JSON ';

/** True when the scenario should hand its result to the orchestrator. */
export const wantsJson = (): boolean => process.argv.includes('--json');

export function emitJson(result: unknown): void {
  console.log(JSON_PREFIX + JSON.stringify(result));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a scenario's `main` when the file is executed (not when imported). */
export function runMain(module: NodeModule, main: () => Promise<void>): void {
  if (require.main !== module) return;
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
