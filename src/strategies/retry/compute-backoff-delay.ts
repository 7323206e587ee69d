import { unitRandom } from '../../internal/unit-random';
/**
 * How a backoff is randomised: `'full'` draws uniformly in [0, backoff], `'equal'` keeps half
 * and draws the other half, `'decorrelated'` draws in [baseDelayMs, 3 * previous delay], `'none'`
 * uses the exponential backoff as is.
 */
export type JitterMode = 'full' | 'equal' | 'decorrelated' | 'none';

/** Every `JitterMode`, in the order the docs list them. */
export const JITTER_MODES: readonly JitterMode[] = ['full', 'equal', 'decorrelated', 'none'];

/** The `RetryConfig` fields the backoff depends on: what `computeBackoffDelay` needs. */
export interface BackoffSettings {
  /** The first backoff in ms, before jitter. */
  baseDelayMs: number;
  /** Cap of every backoff in ms. */
  maxDelayMs: number;
  /** Growth of the backoff per attempt. */
  exponentialBase: number;
  /** How the backoff is randomised. */
  jitter: JitterMode;
}

/**
 * The delay before the next attempt, after attempt number `attempt` (1-based) failed.
 * Pure: randomness comes from `random`, and `previousDelayMs` carries the state of
 * decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
 * Never NaN, never negative, never above `maxDelayMs`, whatever the attempt number.
 *
 * @param attempt - The attempt that failed (1 for the first call).
 * @param random - Source of randomness in [0, 1), for jitter.
 * @param previousDelayMs - The delay returned for the previous attempt (decorrelated jitter only).
 *
 * @example
 * ```ts
 * const settings = { baseDelayMs: 1000, maxDelayMs: 30_000, exponentialBase: 2, jitter: 'none' } as const;
 * computeBackoffDelay(1, settings); // 1000
 * computeBackoffDelay(3, settings); // 4000
 * computeBackoffDelay(3, { ...settings, jitter: 'full' }, () => 0.5); // 2000
 * ```
 */
export function computeBackoffDelay(
  attempt: number,
  config: BackoffSettings,
  random: () => number = Math.random,
  previousDelayMs?: number,
): number {
  const { baseDelayMs, maxDelayMs } = config;
  let delay: number;
  switch (config.jitter) {
    case 'decorrelated': {
      const previous = isUsable(previousDelayMs) ? previousDelayMs : baseDelayMs;
      // Bounded so that a huge previous delay cannot overflow into 0 * Infinity = NaN.
      const upper = Math.max(baseDelayMs, Math.min(3 * previous, Number.MAX_VALUE));
      delay = baseDelayMs + unitRandom(random) * (upper - baseDelayMs);
      break;
    }
    case 'full':
      delay = unitRandom(random) * exponentialCeiling(attempt, config);
      break;
    case 'equal': {
      const ceiling = exponentialCeiling(attempt, config);
      delay = ceiling / 2 + (unitRandom(random) * ceiling) / 2;
      break;
    }
    default:
      delay = exponentialCeiling(attempt, config);
  }
  return clamp(delay, 0, maxDelayMs);
}

/** `min(maxDelayMs, baseDelayMs * exponentialBase ** (attempt - 1))`, safe for huge attempts. */
export function exponentialCeiling(attempt: number, config: BackoffSettings): number {
  const exponent = Number.isFinite(attempt) && attempt > 1 ? Math.floor(attempt) - 1 : 0;
  const raw = config.baseDelayMs * config.exponentialBase ** exponent;
  return clamp(raw, 0, config.maxDelayMs);
}

/** The backoff formula as text for trace events, e.g. `1.0 * (2 ** 0)` (seconds). */
export function describeBackoffFormula(attempt: number, config: BackoffSettings): string {
  const exponent = Number.isFinite(attempt) && attempt > 1 ? Math.floor(attempt) - 1 : 0;
  const seconds = config.baseDelayMs / 1000;
  const base = Number.isInteger(seconds) ? seconds.toFixed(1) : String(seconds);
  return `${base} * (${config.exponentialBase} ** ${exponent})`;
}

function isUsable(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return max;
  return value < min ? min : value > max ? max : value;
}
