import type { RetryConfigIssue } from '../../internal/option-checks';
import { describeReceived, isPlainObject, unknownKeyIssues } from '../../internal/option-checks';

/** The `bulkhead` option once validated: off, or both limits. */
export type ResolvedBulkheadOptions = false | Readonly<{ maxConcurrency: number; queueLimit: number }>;

export interface BulkheadValidation {
  /** The resolved options (`false` = off); absent when there are issues. */
  value?: ResolvedBulkheadOptions;
  /** Every problem found, each naming the field, the rule and the value received. */
  issues: RetryConfigIssue[];
}

/**
 * The queue a bulkhead gets when `queueLimit` is left out: enough to absorb a burst a few
 * times the usual concurrency, bounded so a stuck upstream sheds load instead of piling up
 * callers (and memory) without limit.
 */
export const DEFAULT_BULKHEAD_QUEUE_LIMIT = 100;

export const BULKHEAD_OPTION_NAMES: readonly string[] = Object.freeze(['maxConcurrency', 'queueLimit']);

/**
 * Validates untyped `bulkhead` input, listing every problem at once. `false` or `undefined`
 * turn it off (the default); an object needs `maxConcurrency` (integer >= 1: no default suits
 * every upstream) and may set `queueLimit` (integer >= 0, default 100). Unknown keys are
 * rejected with a did-you-mean hint. `path` prefixes field names (`retryConfig.bulkhead`).
 */
export function validateBulkheadOptions(input: unknown, path = 'bulkhead'): BulkheadValidation {
  if (input === false || input === undefined) return { value: false, issues: [] };
  if (!isPlainObject(input)) {
    return {
      issues: [
        {
          field: path,
          message: `${path} must be false or an object { maxConcurrency, queueLimit } (received ${describeReceived(input)})`,
        },
      ],
    };
  }

  const issues: RetryConfigIssue[] = unknownKeyIssues(input, BULKHEAD_OPTION_NAMES, path, 'bulkhead');

  const { maxConcurrency, queueLimit = DEFAULT_BULKHEAD_QUEUE_LIMIT } = input;
  if (maxConcurrency === undefined) {
    issues.push({ field: `${path}.maxConcurrency`, message: `${path}.maxConcurrency is required` });
  } else if (!isIntegerAtLeast(maxConcurrency, 1)) {
    issues.push({
      field: `${path}.maxConcurrency`,
      message: `${path}.maxConcurrency must be an integer of at least 1 (received ${describeReceived(maxConcurrency)})`,
    });
  }
  if (!isIntegerAtLeast(queueLimit, 0)) {
    issues.push({
      field: `${path}.queueLimit`,
      message: `${path}.queueLimit must be an integer of at least 0 (received ${describeReceived(queueLimit)})`,
    });
  }

  if (issues.length > 0) return { issues };
  return {
    value: Object.freeze({ maxConcurrency: maxConcurrency as number, queueLimit: queueLimit as number }),
    issues,
  };
}

function isIntegerAtLeast(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** An object literal or `Object.create(null)`: class instances and arrays are not options. */
