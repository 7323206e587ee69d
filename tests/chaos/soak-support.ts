/**
 * Plumbing of the chaos soak: the host process (for unhandled rejections and open handles),
 * a bounded worker pool, a per-call watchdog, and a capture of what the openai SDK prints.
 */
import { inspect } from 'node:util';
import * as vm from 'node:vm';

/**
 * The process Node itself emits `unhandledRejection` on. Jest gives each test file a copy
 * of `process` whose listeners never fire; code run in the main context sees the real one.
 */
export function hostProcess(): NodeJS.Process {
  return vm.runInThisContext('process') as NodeJS.Process;
}

/** Counts every unhandled rejection of the process until `stop()`. */
export function watchUnhandledRejections(): { reasons: unknown[]; stop(): void } {
  const host = hostProcess();
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => reasons.push(reason);
  host.on('unhandledRejection', listener);
  return { reasons, stop: () => host.off('unhandledRejection', listener) };
}

/** Resources keeping the event loop alive, by type (`TCPSocketWrap`, `Timeout`, ...); unref'd timers excluded. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** What `now` holds beyond `baseline`, by type (empty when nothing was left open). */
export function resourcesBeyond(baseline: Map<string, number>, now: Map<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of now) {
    const more = count - (baseline.get(type) ?? 0);
    if (more > 0) extra[type] = more;
  }
  return extra;
}

/**
 * Polls until nothing beyond `baseline` is open or `withinMs` passed; returns what is still
 * open. Sockets the server destroyed close on the client side a few turns later.
 */
export async function openResourcesAfter(
  baseline: Map<string, number>,
  withinMs: number,
): Promise<Record<string, number>> {
  const until = Date.now() + withinMs;
  for (;;) {
    const extra = resourcesBeyond(baseline, activeResources());
    if (Object.keys(extra).length === 0 || Date.now() >= until) return extra;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `task(0..count-1)` with at most `concurrency` running at once. */
export async function runPool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export type Settled<T> = { state: 'fulfilled'; value: T } | { state: 'rejected'; reason: unknown } | { state: 'hung' };

/**
 * Waits for `promise`, but at most `deadlineMs`: past it the call counts as hung and the
 * caller moves on (a hung call must fail the soak, not stall it until jest's timeout).
 */
export function settleWithin<T>(promise: Promise<T>, deadlineMs: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const watchdog = setTimeout(() => resolve({ state: 'hung' }), deadlineMs);
    promise.then(
      (value) => {
        clearTimeout(watchdog);
        resolve({ state: 'fulfilled', value });
      },
      (reason: unknown) => {
        clearTimeout(watchdog);
        resolve({ state: 'rejected', reason });
      },
    );
  });
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/**
 * Captures (and silences) the console while the soak runs: the openai SDK prints through
 * it (an unparseable stream event is logged at `error`), and those lines must be free of
 * secrets too.
 */
export function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spies = CONSOLE_METHODS.map((method) =>
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(
        args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg, { depth: 8, showHidden: true }))).join(' '),
      );
    }),
  );
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}
