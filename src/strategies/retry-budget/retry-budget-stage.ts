import type { AttemptFailure, CallState, Stage } from '../stage';
import type { KeyBudget } from './key-budget';
import type { RetryBudget } from './retry-budget';

/**
 * The retry-budget stage: a retry the retry stage decided is paid from the key's budget (a
 * timeout's retry may cost more); when the budget is empty the call gives up instead
 * (`retry_budget`), and the first refusal of an exhaustion episode is reported. A call that
 * succeeds refunds what it paid (and earns the success refund).
 */
export class RetryBudgetStage implements Stage {
  /** Tokens paid for retries so far (refunded on success). */
  private paid = 0;

  constructor(
    private readonly key: KeyBudget,
    private readonly budget: RetryBudget,
  ) {}

  afterFailure(call: CallState, failure: AttemptFailure): void {
    if (!failure.decision.retry) return;
    const withdrawal = this.budget.withdraw(failure.classification.kind === 'timeout' ? 'timeout' : 'retry');
    if (withdrawal.granted) {
      this.paid += withdrawal.cost;
      this.key.share(-withdrawal.cost);
      return;
    }
    if (withdrawal.episodeStart) call.budgetExhausted();
    failure.decision = { retry: false, reason: 'retry_budget' };
  }

  afterSuccess(): void {
    this.key.refund(this.paid);
  }
}
