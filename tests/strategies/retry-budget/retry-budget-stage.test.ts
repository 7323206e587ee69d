import type { ErrorClassification } from '../../../src/classification/failure-kind';
import type { SharedStateStore } from '../../../src/ports/shared-state-store';
import type { RetryDecision } from '../../../src/strategies/retry/retry-decision';
import { KeyBudget } from '../../../src/strategies/retry-budget/key-budget';
import { validateRetryBudgetOptions } from '../../../src/strategies/retry-budget/retry-budget-options';
import { RetryBudgetStage } from '../../../src/strategies/retry-budget/retry-budget-stage';
import type { AttemptFailure, CallState } from '../../../src/strategies/stage';
import { FakeCall } from '../support';

const KEY = 'openai';

const OPTIONS = (() => {
  const { value } = validateRetryBudgetOptions({ capacity: 20, retryCost: 5, timeoutCost: 10, successRefund: 1 });
  if (!value) throw new Error('invalid test options');
  return value;
})();

function recordingStore() {
  return {
    shareCooldown: jest.fn(),
    subscribe: jest.fn(() => () => undefined),
    shareBudget: jest.fn<void, [string, number, { capacity: number; retryCost: number }]>(),
  } satisfies SharedStateStore;
}

/** A key's real budget, created as the engine creates it (KeyBudget.budget with the options). */
function makeKey(store?: SharedStateStore) {
  const keyBudget = new KeyBudget({ key: KEY, store: () => store });
  const budget = keyBudget.budget(OPTIONS);
  const stage = () => new RetryBudgetStage(keyBudget, budget);
  return { keyBudget, budget, stage };
}

const RETRY: RetryDecision = { retry: true, delayMs: 1000, source: 'backoff', backoffMs: 1000 };

function failure(decision: RetryDecision = RETRY, classification: Partial<ErrorClassification> = {}): AttemptFailure {
  return {
    error: new Error('upstream failed'),
    classification: { kind: 'server', retryable: true, reason: 'status 503', ...classification },
    headers: undefined,
    decision: { ...decision },
  };
}

/** Runs the stage on one failure and returns the decision it leaves. */
function afterFailure(stage: RetryBudgetStage, call: CallState, failed: AttemptFailure = failure()): RetryDecision {
  stage.afterFailure(call, failed);
  return failed.decision;
}

describe('RetryBudgetStage.afterFailure', () => {
  it('pays for a retry the retry stage decided, and leaves the decision as it is', () => {
    const { budget, stage } = makeKey();
    expect(afterFailure(stage(), new FakeCall())).toEqual(RETRY);
    expect(budget.available).toBe(15);
  });

  it('shares the withdrawal with the store as a negative delta', () => {
    const store = recordingStore();
    const { stage } = makeKey(store);
    afterFailure(stage(), new FakeCall());
    expect(store.shareBudget).toHaveBeenCalledTimes(1);
    expect(store.shareBudget).toHaveBeenCalledWith(KEY, -5, { capacity: 20, retryCost: 5 });
  });

  it('charges timeoutCost for the retry of a timeout', () => {
    const store = recordingStore();
    const { budget, stage } = makeKey(store);
    afterFailure(stage(), new FakeCall(), failure(RETRY, { kind: 'timeout', reason: 'attempt timeout' }));
    expect(budget.available).toBe(10);
    expect(store.shareBudget).toHaveBeenCalledWith(KEY, -10, { capacity: 20, retryCost: 5 });
  });

  it.each<RetryDecision>([
    { retry: false, reason: 'max_attempts' },
    { retry: false, reason: 'not_retryable' },
    { retry: false, reason: 'deadline' },
  ])('pays nothing for a give-up decision (%p)', (decision) => {
    const store = recordingStore();
    const { budget, stage } = makeKey(store);
    const call = new FakeCall();
    expect(afterFailure(stage(), call, failure(decision))).toEqual(decision);
    expect(budget.available).toBe(20);
    expect(store.shareBudget).not.toHaveBeenCalled();
    expect(call.budgetExhaustions).toBe(0);
  });

  it('turns the retry into giving up (retry_budget) when the budget cannot pay for it', () => {
    const store = recordingStore();
    const { budget, stage } = makeKey(store);
    const draining = stage();
    for (let i = 0; i < 4; i++) afterFailure(draining, new FakeCall());
    expect(budget.available).toBe(0);
    store.shareBudget.mockClear();

    const call = new FakeCall();
    expect(afterFailure(stage(), call)).toEqual({ retry: false, reason: 'retry_budget' });
    expect(call.budgetExhaustions).toBe(1);
    expect(budget.available).toBe(0);
    expect(store.shareBudget).not.toHaveBeenCalled();
  });

  it('refuses a timeout retry it cannot pay for even with tokens left for an ordinary one', () => {
    const { budget, stage } = makeKey();
    afterFailure(stage(), new FakeCall(), failure(RETRY, { kind: 'timeout' }));
    afterFailure(stage(), new FakeCall());
    expect(budget.available).toBe(5);

    expect(afterFailure(stage(), new FakeCall(), failure(RETRY, { kind: 'timeout' }))).toEqual({
      retry: false,
      reason: 'retry_budget',
    });
    expect(afterFailure(stage(), new FakeCall())).toEqual(RETRY);
  });

  it('reports the exhaustion once per episode, across calls', () => {
    const { stage } = makeKey();
    const draining = stage();
    for (let i = 0; i < 4; i++) afterFailure(draining, new FakeCall());

    const first = new FakeCall();
    const second = new FakeCall();
    const firstStage = stage();
    afterFailure(firstStage, first);
    afterFailure(firstStage, first);
    afterFailure(stage(), second);

    expect(first.budgetExhaustions).toBe(1);
    expect(second.budgetExhaustions).toBe(0);
  });

  it('reports a new episode once refunds have let the budget pay again', () => {
    const { keyBudget, stage } = makeKey();
    const draining = stage();
    for (let i = 0; i < 4; i++) afterFailure(draining, new FakeCall());
    const before = new FakeCall();
    afterFailure(stage(), before);
    expect(before.budgetExhaustions).toBe(1);

    keyBudget.refund(5);
    const paid = new FakeCall();
    expect(afterFailure(stage(), paid)).toEqual(RETRY);
    const after = new FakeCall();
    expect(afterFailure(stage(), after)).toEqual({ retry: false, reason: 'retry_budget' });
    expect(after.budgetExhaustions).toBe(1);
  });
});

describe('RetryBudgetStage.afterSuccess', () => {
  it('refunds what the call paid for its retries, and shares the refund', () => {
    const store = recordingStore();
    const { budget, stage } = makeKey(store);
    const other = stage();
    afterFailure(other, new FakeCall());
    const call = stage();
    afterFailure(call, new FakeCall());
    afterFailure(call, new FakeCall(), failure(RETRY, { kind: 'timeout' }));
    expect(budget.available).toBe(0);
    store.shareBudget.mockClear();

    call.afterSuccess();

    // 5 + 10 back: what this call paid, not what the other call did.
    expect(budget.available).toBe(15);
    expect(store.shareBudget).toHaveBeenCalledWith(KEY, 15, { capacity: 20, retryCost: 5 });
  });

  it('gives the success refund to a call that paid nothing', () => {
    const store = recordingStore();
    const { budget, stage } = makeKey(store);
    afterFailure(stage(), new FakeCall());
    store.shareBudget.mockClear();

    stage().afterSuccess();

    expect(budget.available).toBe(16);
    expect(store.shareBudget).toHaveBeenCalledWith(KEY, 1, { capacity: 20, retryCost: 5 });
  });

  it('never refunds beyond the capacity, and shares nothing when the budget is already full', () => {
    const store = recordingStore();
    const { budget, stage } = makeKey(store);
    stage().afterSuccess();
    expect(budget.available).toBe(20);
    expect(store.shareBudget).not.toHaveBeenCalled();
  });

  it('refunds nothing for the retries it refused', () => {
    const { budget, stage } = makeKey();
    const draining = stage();
    for (let i = 0; i < 3; i++) afterFailure(draining, new FakeCall());
    const call = stage();
    afterFailure(call, new FakeCall());
    afterFailure(call, new FakeCall(), failure(RETRY, { kind: 'timeout' }));
    expect(budget.available).toBe(0);

    call.afterSuccess();

    expect(budget.available).toBe(5);
  });
});
