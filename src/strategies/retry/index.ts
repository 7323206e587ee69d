// Retry + backoff: whether and when to try again. Pure functions tested as data
// (backoff, the decision; Retry-After is parsed by classification/retry-after.ts), and the stage that applies them to a call.
export { computeBackoffDelay, describeBackoffFormula, exponentialCeiling } from './compute-backoff-delay';
export type { BackoffSettings } from './compute-backoff-delay';
export { decideRetry, RETRY_AFTER_JITTER_FRACTION } from './retry-decision';
export type { DecisionInput, GiveUpReason, RetryDecision, RetrySchedule } from './retry-decision';
export { RetryStage } from './retry-stage';
