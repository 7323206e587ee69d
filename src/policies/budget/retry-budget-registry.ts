import { sameOptions } from '../../internal/option-checks';
import { RetryBudget } from './retry-budget';
import type { ResolvedRetryBudgetOptions } from './retry-budget-options';

/**
 * One retry budget per upstream key, shared by every decorated method and service that
 * calls the same upstream. The first registration of a key fixes its options; later ones
 * get the same budget, and `optionsConflict` tells the caller when it asked for others.
 */
export class RetryBudgetRegistry {
  private readonly budgets = new Map<string, RetryBudget>();

  /** The budget of `key`, created with `options` on first use. */
  get(key: string, options: ResolvedRetryBudgetOptions): RetryBudget {
    let budget = this.budgets.get(key);
    if (budget === undefined) {
      budget = new RetryBudget(options);
      this.budgets.set(key, budget);
    }
    return budget;
  }

  /** True when `key` already has a budget whose options differ from `options`. */
  optionsConflict(key: string, options: ResolvedRetryBudgetOptions): boolean {
    const budget = this.budgets.get(key);
    return budget !== undefined && !sameOptions(budget.options, options);
  }

  /** Forgets the budget of `key` (the next `get` starts a full one); true if there was one. */
  delete(key: string): boolean {
    return this.budgets.delete(key);
  }

  clear(): void {
    this.budgets.clear();
  }

  keys(): string[] {
    return [...this.budgets.keys()];
  }
}
