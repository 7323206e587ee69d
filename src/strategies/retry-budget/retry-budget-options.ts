import type { RetryConfigIssue } from '../../internal/option-checks';
import { describeReceived, isIntegerIn, isPlainObject, unknownKeyIssues } from '../../internal/option-checks';

/**
 * The `retryBudget` options as a user writes them: every field optional, merged over
 * `RETRY_BUDGET_DEFAULTS`. One token bucket per key: retries take tokens, first-try
 * successes give some back, and a retry the bucket cannot pay for is not made.
 *
 * @example
 * ```ts
 * @RetryOpenAI({ key: 'openai', retryBudget: { capacity: 100, retryCost: 10 } })
 * ```
 */
export interface RetryBudgetOptions {
  /**
   * Tokens in a full bucket (and at the start); a positive integer.
   * @default 500
   */
  capacity?: number;
  /**
   * Tokens a retry after an ordinary failure takes (a positive integer, at most `capacity`).
   * @default 5
   */
  retryCost?: number;
  /**
   * Tokens a retry after a timeout takes: a timeout costs the upstream more than a quick
   * error (a positive integer, at most `capacity`).
   * @default 10
   */
  timeoutCost?: number;
  /**
   * Tokens a call that succeeded without retrying gives back (an integer >= 0).
   * @default 1
   */
  successRefund?: number;
}

/** `RetryBudgetOptions` validated, with every default filled (as in `RETRY_BUDGET_DEFAULTS`). */
export type ResolvedRetryBudgetOptions = Readonly<Required<RetryBudgetOptions>>;

/**
 * The defaults (README table), those of the AWS SDKs' "standard" retry mode: 100 ordinary
 * retries (or 50 after timeouts) from a full bucket.
 *
 * @example
 * ```ts
 * RETRY_BUDGET_DEFAULTS.capacity / RETRY_BUDGET_DEFAULTS.retryCost; // 100 retries from a full bucket
 * ```
 */
export const RETRY_BUDGET_DEFAULTS: ResolvedRetryBudgetOptions = Object.freeze({
  capacity: 500,
  retryCost: 5,
  timeoutCost: 10,
  successRefund: 1,
});

export const RETRY_BUDGET_OPTION_NAMES: readonly (keyof RetryBudgetOptions)[] = Object.freeze([
  'capacity',
  'retryCost',
  'timeoutCost',
  'successRefund',
]);

export interface RetryBudgetValidation {
  /** The resolved options, `false` when the budget is turned off; absent when there are issues. */
  value?: ResolvedRetryBudgetOptions | false;
  /** Every problem found, each naming the field, the rule and the value received. */
  issues: RetryConfigIssue[];
}

/**
 * Validates untyped `retryBudget` input and fills the defaults. Lists every problem at
 * once. `false` turns the budget off (`{ value: false }`); `true` and `undefined` mean the
 * defaults (the budget is on by default); an object is merged over the defaults. `path`
 * prefixes field names in the issues, for nested configs (`retryConfig.retryBudget`).
 */
export function validateRetryBudgetOptions(input: unknown, path = 'retryBudget'): RetryBudgetValidation {
  if (input === false) return { value: false, issues: [] };
  if (input === true || input === undefined) return { value: RETRY_BUDGET_DEFAULTS, issues: [] };
  if (!isPlainObject(input)) {
    const message = `${path} must be true, false or an object of retry budget options (received ${describeReceived(input)})`;
    return { issues: [{ field: path, message }] };
  }

  const issues = unknownKeyIssues(input, RETRY_BUDGET_OPTION_NAMES, path, 'retry budget');
  const resolved: Record<string, number> = { ...RETRY_BUDGET_DEFAULTS };
  const valid = new Set<string>(RETRY_BUDGET_OPTION_NAMES);
  for (const field of RETRY_BUDGET_OPTION_NAMES) {
    const value = input[field];
    if (value === undefined) continue;
    // A refund of 0 is a legitimate choice (successes never refill); a cost of 0 would
    // make the budget unlimited, which `retryBudget: false` says more clearly.
    const min = field === 'successRefund' ? 0 : 1;
    if (isIntegerIn(value, min, Number.MAX_SAFE_INTEGER)) resolved[field] = value;
    else {
      valid.delete(field);
      const rule = min === 0 ? 'a non-negative integer' : 'a positive integer';
      const message = `${path}.${field} must be ${rule} (received ${describeReceived(value)})`;
      issues.push({ field: `${path}.${field}`, message });
    }
  }

  // A cost above the capacity could never be paid: that kind of retry would never happen.
  if (valid.has('capacity')) {
    for (const cost of ['retryCost', 'timeoutCost'] as const) {
      if (valid.has(cost) && resolved[cost] > resolved.capacity) {
        issues.push({
          field: `${path}.${cost}`,
          message: `${path}.${cost} must be at most ${path}.capacity (${resolved.capacity}) (received ${resolved[cost]})`,
        });
      }
    }
  }

  if (issues.length > 0) return { issues };
  return { value: Object.freeze(resolved as Required<RetryBudgetOptions>), issues };
}
