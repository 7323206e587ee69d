// Retry budget: a pure per-key token bucket (AWS SDK "standard" retry mode) that stops
// retries during a long outage, the key's shared balance, and the stage that pays for retries.
export { RetryBudget } from './retry-budget';
export type { RetryBudgetWithdrawal, RetryKind } from './retry-budget';
export { RETRY_BUDGET_DEFAULTS, RETRY_BUDGET_OPTION_NAMES, validateRetryBudgetOptions } from './retry-budget-options';
export type { ResolvedRetryBudgetOptions, RetryBudgetOptions, RetryBudgetValidation } from './retry-budget-options';
export { KeyBudget } from './key-budget';
export { RetryBudgetStage } from './retry-budget-stage';
