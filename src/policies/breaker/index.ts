// Circuit breaker: a pure per-key state machine (injected clock, no timers) that the
// retry engine consults before each attempt.
export { CircuitBreaker } from './circuit-breaker';
export type {
  CircuitAcquireResult,
  CircuitState,
  CircuitTransition,
  CircuitTransitionListener,
} from './circuit-breaker';
export {
  CIRCUIT_BREAKER_DEFAULTS,
  CIRCUIT_BREAKER_OPTION_NAMES,
  validateCircuitBreakerOptions,
} from './circuit-breaker-options';
export type {
  CircuitBreakerOptions,
  CircuitBreakerValidation,
  ResolvedCircuitBreakerOptions,
} from './circuit-breaker-options';
