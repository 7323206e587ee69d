// Timeout: the stage around each attempt — its attempt timeout, the call's deadline and the
// caller's abort — and the errors it ends attempts and calls with.
export { guardAttempt, FinalOutcome } from './attempt-guard';
export type { AttemptGuard, GuardedAttempt, GuardedCall } from './attempt-guard';
export { RetryTimeoutError, AttemptTimeoutError, isRetryTimeoutError, isAttemptTimeoutError } from './timeout-errors';
