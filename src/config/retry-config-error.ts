const BRAND = Symbol.for('llm-resilience.RetryConfigError');

export interface RetryConfigIssue {
  /** The field (or environment variable, or `Class.method: field`) that broke a rule. */
  field: string;
  /** The whole sentence, naming the field and the rule. */
  message: string;
}

/**
 * Thrown for an invalid retry configuration. Lists every violated rule at once,
 * so a user fixes them in one go.
 */
export class RetryConfigError extends Error {
  readonly issues: RetryConfigIssue[];
  readonly [BRAND] = true;

  constructor(issues: RetryConfigIssue[], prefix?: string) {
    const text = issues.map((issue) => issue.message).join('; ');
    super(prefix ? `${prefix}: ${text}` : text);
    this.name = 'RetryConfigError';
    this.issues = issues;
  }
}

/** True for a `RetryConfigError`, also one from another copy of the library. */
export function isRetryConfigError(error: unknown): error is RetryConfigError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
