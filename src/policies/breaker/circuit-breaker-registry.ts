import { CircuitBreaker } from './circuit-breaker';
import type { ResolvedCircuitBreakerOptions } from './circuit-breaker-options';
import { sameOptions } from '../../internal/option-checks';

/**
 * One circuit breaker per upstream key, so every decorated method and service that talks
 * to the same upstream shares one view of its health. The first registration of a key
 * fixes its options and clock; later ones get the same breaker, and `optionsConflict`
 * tells the caller when it asked for other options (to warn, not to fail a call).
 */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  /** The breaker of `key`, created with `options` and `now` on first use. */
  get(key: string, options: ResolvedCircuitBreakerOptions, now: () => number): CircuitBreaker {
    let breaker = this.breakers.get(key);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(options, now);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  /** True when `key` already has a breaker whose options differ from `options`. */
  optionsConflict(key: string, options: ResolvedCircuitBreakerOptions): boolean {
    const breaker = this.breakers.get(key);
    return breaker !== undefined && !sameOptions(breaker.options, options);
  }

  /** Forgets the breaker of `key` (the next `get` starts a closed one); true if there was one. */
  delete(key: string): boolean {
    return this.breakers.delete(key);
  }

  clear(): void {
    this.breakers.clear();
  }

  keys(): string[] {
    return [...this.breakers.keys()];
  }
}
