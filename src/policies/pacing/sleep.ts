import { abortReason } from '../../internal/abort-reason';

/**
 * How the pacing helpers wait. Injected so tests can use jest's fake timers or a fake clock
 * that resolves sleeps by itself, without real time passing.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** setTimeout turns a longer delay into 1 ms (with a warning); a 24.8-day wait is "forever" here. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Waits `ms` milliseconds with `setTimeout`, or rejects with the signal's reason as soon as
 * it aborts (at once if it already has), clearing the timer so an abandoned wait holds
 * nothing alive. `ms <= 0` or NaN resolves on the next microtask.
 */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    if (!(ms > 0)) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMEOUT_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
