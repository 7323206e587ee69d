// Circuit breaker: a pure per-key state machine (injected clock, no timers), the key's
// circuit shared across replicas, and the stage that asks it for a permit before each attempt.
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
export { KeyCircuit } from './key-circuit';
export type { CircuitOutcome } from './key-circuit';
export { CircuitBreakerStage } from './circuit-breaker-stage';
export { CircuitOpenError, isCircuitOpenError } from './circuit-open-error';
