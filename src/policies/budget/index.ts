// Retry budget: a pure per-key token bucket (AWS SDK "standard" retry mode) that stops
// retries during a long outage.
export { RetryBudget } from './retry-budget';
export type { RetryBudgetWithdrawal, RetryKind } from './retry-budget';
export { RETRY_BUDGET_DEFAULTS, RETRY_BUDGET_OPTION_NAMES, validateRetryBudgetOptions } from './retry-budget-options';
export type { ResolvedRetryBudgetOptions, RetryBudgetOptions, RetryBudgetValidation } from './retry-budget-options';
