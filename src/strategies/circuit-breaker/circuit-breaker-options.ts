import type { RetryConfigIssue } from '../../internal/option-checks';
import { describeReceived, isIntegerIn, isPlainObject, unknownKeyIssues } from '../../internal/option-checks';

/**
 * The `circuitBreaker` options as a user writes them: every field optional. Consecutive
 * mode (`failureThreshold`) unless `failureRatio` is set; the two cannot be combined.
 *
 * @example
 * ```ts
 * @RetryOpenAI({ key: 'openai', circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 10_000 } })
 * @RetryAzure({ circuitBreaker: { failureRatio: 0.5, minimumThroughput: 10, samplingDurationMs: 60_000 } })
 * ```
 */
export interface CircuitBreakerOptions {
  /**
   * Consecutive counted failures that open the circuit (integer 1..1000; used unless
   * `failureRatio` is set).
   * @default 5
   */
  failureThreshold?: number;
  /**
   * Share of failures (0 < r <= 1) over `samplingDurationMs` that opens the circuit
   * (ratio mode). Unset: consecutive mode.
   * @default undefined
   */
  failureRatio?: number;
  /**
   * Outcomes needed in the window before `failureRatio` is judged at all (integer >= 1).
   * @default 20
   */
  minimumThroughput?: number;
  /**
   * Length of the sliding window that `failureRatio` looks at (ms, 100..86400000).
   * @default 30000
   */
  samplingDurationMs?: number;
  /**
   * How long the circuit stays open before letting probes through (ms, 1..86400000).
   * @default 30000
   */
  halfOpenAfterMs?: number;
  /**
   * Cap of the open wait, which doubles on each failed probe (ms, at least `halfOpenAfterMs`).
   * @default 300000 (or `halfOpenAfterMs` when that is longer)
   */
  maxHalfOpenAfterMs?: number;
  /**
   * Probes allowed at once while half-open (integer 1..1000).
   * @default 1
   */
  halfOpenMaxCalls?: number;
  /**
   * The attempt timeout of a half-open probe when the call sets no `attemptTimeoutMs`
   * (ms, 1..86400000): a probe that hangs is abandoned as a failed probe, so the other calls
   * are not refused for as long as it hangs.
   * @default 30000
   */
  probeTimeoutMs?: number;
}

interface SharedResolvedOptions {
  readonly minimumThroughput: number;
  readonly samplingDurationMs: number;
  readonly halfOpenAfterMs: number;
  readonly maxHalfOpenAfterMs: number;
  readonly halfOpenMaxCalls: number;
  readonly probeTimeoutMs: number;
}

/**
 * Validated options with every default filled. Exactly one of `failureThreshold`
 * (consecutive mode) and `failureRatio` (ratio mode) is set, so the mode is never
 * ambiguous and a resolved value validates again unchanged.
 */
export type ResolvedCircuitBreakerOptions = SharedResolvedOptions &
  (
    | { readonly failureThreshold: number; readonly failureRatio?: undefined }
    | { readonly failureRatio: number; readonly failureThreshold?: undefined }
  );

/**
 * The defaults (README table), what `circuitBreaker: true` means; consecutive mode.
 *
 * @example
 * ```ts
 * @RetryOpenAI({ circuitBreaker: { ...CIRCUIT_BREAKER_DEFAULTS, failureThreshold: 10 } })
 * ```
 */
export const CIRCUIT_BREAKER_DEFAULTS = Object.freeze({
  /** Five counted failures in a row open the circuit. */
  failureThreshold: 5,
  /** Ratio mode only: 20 outcomes in the window before the ratio is judged. */
  minimumThroughput: 20,
  /** Ratio mode only: a 30 s sliding window. */
  samplingDurationMs: 30_000,
  /** Open for 30 s before the first probe. */
  halfOpenAfterMs: 30_000,
  /** The open wait doubles on each failed probe, up to 5 minutes. */
  maxHalfOpenAfterMs: 300_000,
  /** One probe at a time while half-open. */
  halfOpenMaxCalls: 1,
  /** A probe with no attempt timeout of its own is abandoned (a failed probe) after 30 s. */
  probeTimeoutMs: 30_000,
});

/** Every option name, for unknown-key suggestions and documentation. */
export const CIRCUIT_BREAKER_OPTION_NAMES: readonly (keyof CircuitBreakerOptions)[] = Object.freeze([
  'failureThreshold',
  'failureRatio',
  'minimumThroughput',
  'samplingDurationMs',
  'halfOpenAfterMs',
  'maxHalfOpenAfterMs',
  'halfOpenMaxCalls',
  'probeTimeoutMs',
]);

const DAY_MS = 86_400_000;

type IntegerField = Exclude<keyof CircuitBreakerOptions, 'failureRatio'>;

// [min, max] per integer field. Upper bounds catch unit mistakes (seconds vs ms, a
// threshold typed with extra zeros) rather than mark a technical limit.
const INTEGER_RANGES: Record<IntegerField, readonly [number, number]> = {
  failureThreshold: [1, 1000],
  minimumThroughput: [1, 1_000_000],
  samplingDurationMs: [100, DAY_MS],
  halfOpenAfterMs: [1, DAY_MS],
  maxHalfOpenAfterMs: [1, DAY_MS],
  halfOpenMaxCalls: [1, 1000],
  probeTimeoutMs: [1, DAY_MS],
};

export interface CircuitBreakerValidation {
  /** The resolved options; absent when there are issues, or when the input turns the breaker off. */
  value?: ResolvedCircuitBreakerOptions;
  /** Every problem found, each naming the field, the rule and the value received. */
  issues: RetryConfigIssue[];
}

/**
 * Validates untyped `circuitBreaker` input and fills the defaults. Lists every problem at
 * once. `true` means "on, with the defaults"; `false` and `undefined` mean off (the breaker
 * is off by default in `RetryConfig`) and give neither a value nor issues. `path` prefixes
 * field names in the issues, for nested configs (`retryConfig.circuitBreaker`).
 */
export function validateCircuitBreakerOptions(input: unknown, path = 'circuitBreaker'): CircuitBreakerValidation {
  if (input === undefined || input === false) return { issues: [] };
  if (input === true) return { value: CIRCUIT_BREAKER_DEFAULTS, issues: [] };
  if (!isPlainObject(input)) {
    const message = `${path} must be true, false or an object of circuit breaker options (received ${describeReceived(input)})`;
    return { issues: [{ field: path, message }] };
  }

  const issues = unknownKeyIssues(input, CIRCUIT_BREAKER_OPTION_NAMES, path, 'circuit breaker');
  const given = (field: keyof CircuitBreakerOptions): boolean => input[field] !== undefined;
  const resolved: Record<string, number> = {};

  for (const field of Object.keys(INTEGER_RANGES) as IntegerField[]) {
    const [min, max] = INTEGER_RANGES[field];
    const value = input[field];
    if (value === undefined) continue;
    if (isIntegerIn(value, min, max)) resolved[field] = value;
    else {
      const message = `${path}.${field} must be an integer from ${min} to ${max} (received ${describeReceived(value)})`;
      issues.push({ field: `${path}.${field}`, message });
    }
  }

  // `null` means "not set" for the one optional field (JSON has no undefined).
  const ratio = input.failureRatio;
  const ratioGiven = ratio !== undefined && ratio !== null;
  if (ratioGiven) {
    if (typeof ratio === 'number' && Number.isFinite(ratio) && ratio > 0 && ratio <= 1) resolved.failureRatio = ratio;
    else {
      issues.push({
        field: `${path}.failureRatio`,
        message: `${path}.failureRatio must be a number greater than 0 and at most 1 (received ${describeReceived(ratio)})`,
      });
    }
    // Two opening rules at once would leave the user guessing which one applies.
    if (given('failureThreshold')) {
      issues.push({
        field: `${path}.failureRatio`,
        message:
          `${path}.failureThreshold and ${path}.failureRatio cannot both be set ` +
          '(failureThreshold counts consecutive failures; failureRatio the share of failures over samplingDurationMs)',
      });
    }
  }

  const halfOpenAfterMs = resolved.halfOpenAfterMs ?? CIRCUIT_BREAKER_DEFAULTS.halfOpenAfterMs;
  // When the cap is not given it follows a long halfOpenAfterMs instead of contradicting it.
  const maxHalfOpenAfterMs =
    resolved.maxHalfOpenAfterMs ?? Math.max(CIRCUIT_BREAKER_DEFAULTS.maxHalfOpenAfterMs, halfOpenAfterMs);
  // Only compared when both are valid: a broken halfOpenAfterMs is reported on its own.
  const halfOpenValid = !given('halfOpenAfterMs') || resolved.halfOpenAfterMs !== undefined;
  if (halfOpenValid && resolved.maxHalfOpenAfterMs !== undefined && maxHalfOpenAfterMs < halfOpenAfterMs) {
    issues.push({
      field: `${path}.maxHalfOpenAfterMs`,
      message:
        `${path}.maxHalfOpenAfterMs must be at least ${path}.halfOpenAfterMs (${halfOpenAfterMs}) ` +
        `(received ${maxHalfOpenAfterMs})`,
    });
  }

  if (issues.length > 0) return { issues };

  const shared: SharedResolvedOptions = {
    minimumThroughput: resolved.minimumThroughput ?? CIRCUIT_BREAKER_DEFAULTS.minimumThroughput,
    samplingDurationMs: resolved.samplingDurationMs ?? CIRCUIT_BREAKER_DEFAULTS.samplingDurationMs,
    halfOpenAfterMs,
    maxHalfOpenAfterMs,
    halfOpenMaxCalls: resolved.halfOpenMaxCalls ?? CIRCUIT_BREAKER_DEFAULTS.halfOpenMaxCalls,
    probeTimeoutMs: resolved.probeTimeoutMs ?? CIRCUIT_BREAKER_DEFAULTS.probeTimeoutMs,
  };
  const value: ResolvedCircuitBreakerOptions =
    resolved.failureRatio !== undefined
      ? { failureRatio: resolved.failureRatio, ...shared }
      : { failureThreshold: resolved.failureThreshold ?? CIRCUIT_BREAKER_DEFAULTS.failureThreshold, ...shared };
  return { value: Object.freeze(value), issues };
}
