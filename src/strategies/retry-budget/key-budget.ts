import type { KeyIdentity } from '../stage';
import { RetryBudget } from './retry-budget';
import { RETRY_BUDGET_DEFAULTS, type ResolvedRetryBudgetOptions } from './retry-budget-options';

/**
 * One key's retry budget (created on first use; the first options given win), its balance
 * heard from other replicas before it existed, and what is shared with them.
 */
export class KeyBudget {
  private budgetState: RetryBudget | undefined;
  /** The shared budget's balance, heard before this process made its own budget. */
  private pendingTokens: number | undefined;

  constructor(private readonly owner: KeyIdentity) {}

  /** The key's retry budget, created with `options` on first use. */
  budget(options: ResolvedRetryBudgetOptions = RETRY_BUDGET_DEFAULTS): RetryBudget {
    if (this.budgetState === undefined) {
      this.budgetState = new RetryBudget(options);
      if (this.pendingTokens !== undefined) this.budgetState.adopt(this.pendingTokens);
      this.pendingTokens = undefined;
    }
    return this.budgetState;
  }

  /** The key's retry budget, if some caller created one. */
  existing(): RetryBudget | undefined {
    return this.budgetState;
  }

  /**
   * For the lean path's `then`: a first attempt that succeeded gives the budget its success
   * refund. One function per key, so the success path allocates nothing for it.
   */
  readonly refundFirstAttempt = <T>(value: T): T => {
    this.refund(0);
    return value;
  };

  /** True when the key has a retry budget that is not full (so a success should refund it). */
  needsRefund(): boolean {
    const budget = this.budgetState;
    return budget !== undefined && budget.available < budget.options.capacity;
  }

  /** A call succeeded having paid `paid` for retries: refunds the budget, here and in the shared bucket. */
  refund(paid: number): void {
    const budget = this.budgetState;
    if (budget === undefined) return;
    const before = budget.available;
    budget.recordSuccess(paid);
    const refunded = budget.available - before;
    if (refunded > 0) this.share(refunded);
  }

  /** Adds `delta` tokens to the key's shared retry budget (fire-and-forget). */
  share(delta: number): void {
    const budget = this.budgetState;
    if (budget === undefined) return;
    try {
      const { capacity, retryCost } = budget.options;
      this.owner.store()?.shareBudget?.(this.owner.key, delta, { capacity, retryCost });
    } catch {
      // A store must never break a call.
    }
  }

  /**
   * The shared retry budget holds `tokens`. Remembered until this process creates the key's
   * budget. Returns the balance taken: `tokens` bounded to [0, capacity] (only to >= 0 before
   * the budget exists: its creation bounds it by its capacity), or undefined when `tokens` is
   * not a finite number (ignored).
   */
  adopt(tokens: number): number | undefined {
    if (typeof tokens !== 'number' || !Number.isFinite(tokens)) return undefined;
    if (this.budgetState === undefined) return (this.pendingTokens = Math.max(0, tokens));
    this.budgetState.adopt(tokens);
    return this.budgetState.available;
  }
}
