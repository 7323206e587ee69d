import type { ResolvedRetryConfig } from '../config/resolve-config';
import type { ResilienceLogger } from '../observability/default-logger';
import { validateBulkheadOptions, type ResolvedBulkheadOptions } from '../strategies/bulkhead/bulkhead-options';
import { BulkheadStage } from '../strategies/bulkhead/bulkhead-stage';
import {
  validateCircuitBreakerOptions,
  type ResolvedCircuitBreakerOptions,
} from '../strategies/circuit-breaker/circuit-breaker-options';
import { CircuitBreakerStage } from '../strategies/circuit-breaker/circuit-breaker-stage';
import { RateLimitStage } from '../strategies/rate-limit/rate-limit-stage';
import {
  validateRetryBudgetOptions,
  type ResolvedRetryBudgetOptions,
} from '../strategies/retry-budget/retry-budget-options';
import { RetryBudgetStage } from '../strategies/retry-budget/retry-budget-stage';
import { RetryStage } from '../strategies/retry/retry-stage';
import type { CallState, Stage } from '../strategies/stage';
import type { Upstream } from '../upstreams/per-key-state';
import { ReplayGuardStage } from './replayable-arguments';

/** One call's stages, in the order they run (see strategies/stage.ts). */
export interface CallStages {
  /** The upstream key the stages work on. */
  readonly key: string;
  /** rate limit → bulkhead → circuit breaker → retry → replay guard → retry budget (those that apply). */
  readonly list: readonly Stage[];
  /** The circuit-breaker stage, if the key has a breaker (a probe's timeout comes from it). */
  readonly breaker: CircuitBreakerStage | undefined;
  readonly retry: RetryStage;
  /** True when this call asked for breaker options other than the ones the key was given first. */
  readonly breakerConflict: boolean;
}

/** The strategies' options of one resolved config, with their defaults filled (once per config). */
interface StrategyOptions {
  readonly circuitBreaker: ResolvedCircuitBreakerOptions | undefined;
  readonly retryBudget: ResolvedRetryBudgetOptions | undefined;
  readonly bulkhead: Exclude<ResolvedBulkheadOptions, false> | undefined;
}

const strategyOptions = new WeakMap<ResolvedRetryConfig, StrategyOptions>();

/** Already validated with the config: here only resolved (defaults filled), once per config object. */
function optionsOf(config: ResolvedRetryConfig): StrategyOptions {
  let options = strategyOptions.get(config);
  if (options === undefined) {
    options = {
      circuitBreaker: validateCircuitBreakerOptions(config.circuitBreaker).value,
      retryBudget: validateRetryBudgetOptions(config.retryBudget).value || undefined,
      bulkhead: validateBulkheadOptions(config.bulkhead).value || undefined,
    };
    strategyOptions.set(config, options);
  }
  return options;
}

/**
 * The stages of one call to `upstream` under `config`. A key's breaker, once some caller
 * created it, applies to every call of the key (and counts them), so that every method and
 * service on the key sees the same circuit.
 */
export function stagesFor(
  upstream: Upstream,
  config: ResolvedRetryConfig,
  random: () => number,
  deadlineMs: number | undefined,
  /** The call's arguments, for the replay guard (undefined: no guard, as for a stream). */
  replayedArgs?: readonly unknown[],
): CallStages {
  const options = optionsOf(config);
  const list: Stage[] = [new RateLimitStage(upstream, config.respectRetryAfter, random)];
  if (options.bulkhead !== undefined) list.push(new BulkheadStage(upstream.bulkhead(options.bulkhead)));
  let breaker: CircuitBreakerStage | undefined;
  let breakerConflict = false;
  const shared = options.circuitBreaker ? upstream.circuit.breaker(options.circuitBreaker) : undefined;
  const keyBreaker = shared?.breaker ?? upstream.circuit.existing();
  if (keyBreaker !== undefined) {
    breakerConflict = shared?.conflict ?? false;
    breaker = new CircuitBreakerStage(upstream, upstream.circuit, keyBreaker);
    list.push(breaker);
  }
  const retry = new RetryStage(config, random, deadlineMs);
  list.push(retry);
  // Right after the decision, before the budget pays: a consumed argument cannot be resent.
  if (replayedArgs !== undefined && replayedArgs.length > 0) list.push(new ReplayGuardStage(replayedArgs));
  if (options.retryBudget !== undefined) {
    list.push(new RetryBudgetStage(upstream.budget, upstream.budget.budget(options.retryBudget)));
  }
  return { key: upstream.key, list, breaker, retry, breakerConflict };
}

/**
 * Runs every stage's `beforeAttempt` in order; then, if a stage waited, every stage hands back
 * what it must not hold while others wait (`handBack`) and, while a stage waited, every stage
 * takes a `lastLook` in order (what changed while it waited: a cooldown begun, pacing learned,
 * the circuit opened), until none waits. Throws what a stage throws.
 */
export async function runBeforeAttempt(stages: readonly Stage[], call: CallState): Promise<void> {
  let waited = false;
  for (const stage of stages) {
    const waiting = stage.beforeAttempt?.(call);
    // Awaited only when there is something to wait for: each await costs the attempt a turn.
    if (waiting === undefined) continue;
    await waiting;
    waited = true;
  }
  if (waited) for (const stage of stages) stage.handBack?.(call);
  while (waited) {
    waited = false;
    for (const stage of stages) {
      const waiting = stage.lastLook?.(call);
      if (waiting === undefined) continue;
      await waiting;
      waited = true;
    }
  }
}

/** The first breaker options given for a key win: says so, once per key, when a caller asks for others. */
export function warnOfBreakerConflict(upstream: Upstream, label: string, logger: ResilienceLogger): void {
  if (upstream.reportedConflicts.has('circuitBreaker')) return;
  upstream.reportedConflicts.add('circuitBreaker');
  logger.warn(
    `${label}: the circuit breaker of ${upstream.key} was created with other options; the first ones stay in force`,
    { method: label, upstream: upstream.key },
  );
}
