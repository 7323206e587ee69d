import type { ErrorClassification } from '../../../src/classification/failure-kind';
import type { CircuitProbeClaim, SharedStateStore } from '../../../src/ports/shared-state-store';
import { WaitRefusal, type WaitBounds } from '../../../src/strategies/bounded-wait';
import {
  validateCircuitBreakerOptions,
  type ResolvedCircuitBreakerOptions,
} from '../../../src/strategies/circuit-breaker/circuit-breaker-options';
import { CircuitBreakerStage } from '../../../src/strategies/circuit-breaker/circuit-breaker-stage';
import { CircuitOpenError } from '../../../src/strategies/circuit-breaker/circuit-open-error';
import { KeyCircuit } from '../../../src/strategies/circuit-breaker/key-circuit';
import { StageRejection, type AttemptFailure, type CallState, type KeyIdentity } from '../../../src/strategies/stage';
import { FakeCall as BaseCall, NOW, OPEN_BOUNDS } from '../support';

class FakeCall extends BaseCall {
  constructor(attemptTimeoutMs: number | undefined = undefined, bounds: WaitBounds = OPEN_BOUNDS) {
    super(bounds);
    this.attemptTimeoutMs = attemptTimeoutMs;
  }
}

const KEY = 'azure-gpt';

const OPTIONS: ResolvedCircuitBreakerOptions = validateCircuitBreakerOptions({
  failureThreshold: 2,
  halfOpenAfterMs: 1000,
  maxHalfOpenAfterMs: 4000,
  probeTimeoutMs: 500,
}).value!;

/** A key's real circuit (KeyCircuit and its breaker), optionally shared through `store`. */
function makeKey(store?: SharedStateStore, options: ResolvedCircuitBreakerOptions = OPTIONS) {
  const owner: KeyIdentity = { key: KEY, store: () => store };
  const circuit = new KeyCircuit(owner);
  const { breaker } = circuit.breaker(options);
  const stage = () => new CircuitBreakerStage(owner, circuit, breaker);
  return { owner, circuit, breaker, stage };
}

function failure(classification: Partial<ErrorClassification>): AttemptFailure {
  return {
    error: new Error('upstream failed'),
    classification: { kind: 'server', retryable: true, reason: 'status 503', ...classification },
    headers: undefined,
    decision: { retry: false, reason: 'not_retryable' },
  };
}

const serverError = () => failure({ kind: 'server', retryable: true });

/** One attempt through `stage` that fails with `outcome`. */
function failedAttempt(stage: CircuitBreakerStage, call: CallState, outcome: AttemptFailure = serverError()): void {
  expect(stage.beforeAttempt(call)).toBeUndefined();
  stage.afterFailure(call, outcome);
}

/** Opens the key's circuit with two counted failures (the threshold). */
function openCircuit(key: ReturnType<typeof makeKey>): void {
  const call = new FakeCall();
  failedAttempt(key.stage(), call);
  failedAttempt(key.stage(), call);
  expect(key.breaker.state).toBe('open');
}

/** The error `run` throws (synchronously). */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The StageRejection `beforeAttempt` throws, checked to carry a CircuitOpenError. */
function rejectionOf(run: () => unknown): { rejection: StageRejection; error: CircuitOpenError } {
  const rejection = thrownBy(run);
  expect(rejection).toBeInstanceOf(StageRejection);
  const { error } = rejection as StageRejection;
  expect(error).toBeInstanceOf(CircuitOpenError);
  return { rejection: rejection as StageRejection, error: error as CircuitOpenError };
}

function claimingStore(claim: (key: string, ttlMs: number) => Promise<CircuitProbeClaim>) {
  return {
    shareCooldown: jest.fn(),
    subscribe: jest.fn(() => () => undefined),
    claimCircuitProbe: jest.fn(claim),
    shareCircuitOutcome: jest.fn(),
  } satisfies SharedStateStore;
}

/** Opens the circuit and waits until it lets a probe through. */
function halfOpenWhenAsked(key: ReturnType<typeof makeKey>): void {
  openCircuit(key);
  jest.setSystemTime(Date.now() + OPTIONS.halfOpenAfterMs);
}

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('CircuitBreakerStage while closed', () => {
  it('lets the attempt go at once (no promise)', () => {
    const key = makeKey();
    expect(key.stage().beforeAttempt(new FakeCall())).toBeUndefined();
  });

  it('does not ask a store for a probe while closed', () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    expect(key.stage().beforeAttempt(new FakeCall())).toBeUndefined();
    expect(store.claimCircuitProbe).not.toHaveBeenCalled();
  });

  it('always says it may hold the first attempt back', () => {
    expect(makeKey().stage().holdsAttempts()).toBe(true);
  });

  it('opens after failureThreshold retryable server failures, and reports the transition to the call', () => {
    const key = makeKey();
    const call = new FakeCall();
    failedAttempt(key.stage(), call);
    expect(key.breaker.state).toBe('closed');
    expect(call.transitions).toEqual([]);

    failedAttempt(key.stage(), call);

    expect(key.breaker.state).toBe('open');
    expect(call.transitions).toEqual([{ from: 'closed', to: 'open', failures: 2, retryAfterMs: 1000 }]);
  });

  it('counts the failures of successive attempts of one call', () => {
    const key = makeKey();
    const stage = key.stage();
    const call = new FakeCall();
    failedAttempt(stage, call);
    call.attempt = 2;
    failedAttempt(stage, call);
    expect(key.breaker.state).toBe('open');
  });

  it.each<[string, Partial<ErrorClassification>]>([
    ['a non-retryable failure (400)', { kind: 'bad_request', retryable: false, reason: 'status 400' }],
    ['a non-retryable failure (401)', { kind: 'auth', retryable: false, reason: 'status 401' }],
    ['a rate limit (429)', { kind: 'rate_limit', retryable: true, reason: 'status 429' }],
  ])('does not count %s', (_label, classification) => {
    const key = makeKey();
    const call = new FakeCall();
    failedAttempt(key.stage(), call);
    for (let i = 0; i < 5; i++) failedAttempt(key.stage(), call, failure(classification));
    expect(key.breaker.state).toBe('closed');
    expect(call.transitions).toEqual([]);
  });

  it('resets the count on a success', () => {
    const key = makeKey();
    const call = new FakeCall();
    failedAttempt(key.stage(), call);
    const succeeding = key.stage();
    expect(succeeding.beforeAttempt(call)).toBeUndefined();
    succeeding.afterSuccess(call);
    failedAttempt(key.stage(), call);
    expect(key.breaker.state).toBe('closed');
  });

  it('shares a counted failure with the store', () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    failedAttempt(key.stage(), new FakeCall());
    expect(store.shareCircuitOutcome).toHaveBeenCalledWith(KEY, { outcome: 'failure', successes: undefined }, OPTIONS);
  });
});

describe('CircuitBreakerStage while open', () => {
  it("refuses the attempt with a StageRejection carrying a CircuitOpenError (key, retryAfterMs, the call's last error)", () => {
    const key = makeKey();
    openCircuit(key);
    jest.setSystemTime(NOW + 400);
    const call = new FakeCall();
    const lastError = new Error('503 from the upstream');
    call.lastFailure = lastError;

    const { rejection, error } = rejectionOf(() => key.stage().beforeAttempt(call));

    expect(error.key).toBe(KEY);
    expect(error.retryAfterMs).toBe(600);
    expect(error.cause).toBe(lastError);
    expect(rejection.classification).toEqual({ kind: 'circuit_open', retryable: false, reason: 'circuit open' });
    expect(rejection.reason).toBe('circuit_open');
  });

  it('gives the CircuitOpenError no cause when the call has not failed yet', () => {
    const key = makeKey();
    openCircuit(key);
    const { error } = rejectionOf(() => key.stage().beforeAttempt(new FakeCall()));
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
  });

  it('records nothing for a refused attempt (afterStopped and afterFailure are no-ops)', () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    openCircuit(key);
    store.shareCircuitOutcome.mockClear();
    const stage = key.stage();
    const call = new FakeCall();
    thrownBy(() => stage.beforeAttempt(call));

    stage.afterStopped(call);
    stage.afterFailure(call, serverError());

    expect(store.shareCircuitOutcome).not.toHaveBeenCalled();
    expect(call.transitions).toEqual([]);
  });
});

describe('CircuitBreakerStage while half-open', () => {
  it('lets one probe through, reporting open → half_open, and refuses the next attempt until the probe times out', () => {
    const key = makeKey();
    halfOpenWhenAsked(key);
    const call = new FakeCall();
    const probe = key.stage();

    expect(probe.beforeAttempt(call)).toBeUndefined();
    expect(call.transitions).toEqual([{ from: 'open', to: 'half_open', failures: 0 }]);
    expect(key.breaker.probesInFlight).toBe(1);

    jest.setSystemTime(Date.now() + 100);
    const { error } = rejectionOf(() => key.stage().beforeAttempt(new FakeCall()));
    expect(error.retryAfterMs).toBe(OPTIONS.probeTimeoutMs - 100);
  });

  it("gives the probe's attempt the breaker's probeTimeoutMs, and no timeout to other attempts", () => {
    const key = makeKey();
    const closed = key.stage();
    expect(closed.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(closed.probeTimeoutMs()).toBeUndefined();
    closed.afterFailure(new FakeCall(), serverError());
    failedAttempt(key.stage(), new FakeCall());
    jest.setSystemTime(Date.now() + OPTIONS.halfOpenAfterMs);

    const probe = key.stage();
    expect(probe.probeTimeoutMs()).toBeUndefined();
    expect(probe.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(probe.probeTimeoutMs()).toBe(500);

    const refused = key.stage();
    thrownBy(() => refused.beforeAttempt(new FakeCall()));
    expect(refused.probeTimeoutMs()).toBeUndefined();

    // Once the probe's outcome is recorded, the stage holds no probe any more.
    probe.afterFailure(new FakeCall(), serverError());
    expect(probe.probeTimeoutMs()).toBeUndefined();
  });

  it('closes on the probe success and reports half_open → closed', () => {
    const key = makeKey();
    halfOpenWhenAsked(key);
    const call = new FakeCall();
    const probe = key.stage();
    expect(probe.beforeAttempt(call)).toBeUndefined();
    probe.afterSuccess(call);

    expect(key.breaker.state).toBe('closed');
    expect(call.transitions.at(-1)).toEqual({ from: 'half_open', to: 'closed', failures: 0 });
  });

  it('reopens on the probe failure with a doubled wait', () => {
    const key = makeKey();
    halfOpenWhenAsked(key);
    const call = new FakeCall();
    const probe = key.stage();
    expect(probe.beforeAttempt(call)).toBeUndefined();
    probe.afterFailure(call, serverError());

    expect(key.breaker.state).toBe('open');
    expect(call.transitions.at(-1)).toEqual({ from: 'half_open', to: 'open', failures: 1, retryAfterMs: 2000 });
  });

  it('gives the probe permit back when the call stops (ignored: neither success nor failure)', async () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    store.shareCircuitOutcome.mockClear();
    const call = new FakeCall();
    const probe = key.stage();
    await probe.beforeAttempt(call);
    const transitionsBefore = call.transitions.length;

    probe.afterStopped(call);

    expect(key.breaker.probesInFlight).toBe(0);
    expect(key.breaker.state).toBe('half_open');
    expect(call.transitions).toHaveLength(transitionsBefore);
    expect(probe.probeTimeoutMs()).toBeUndefined();
    expect(store.shareCircuitOutcome).toHaveBeenCalledWith(KEY, { outcome: 'probe_ignored' }, OPTIONS);
    // The next attempt may probe at once (once the store grants it the shared probe).
    await expect(key.stage().beforeAttempt(new FakeCall())).resolves.toBeUndefined();
    expect(key.breaker.probesInFlight).toBe(1);
  });

  it('gives the probe permit back for a failure it does not count', () => {
    const key = makeKey();
    halfOpenWhenAsked(key);
    const probe = key.stage();
    expect(probe.beforeAttempt(new FakeCall())).toBeUndefined();
    probe.afterFailure(new FakeCall(), failure({ kind: 'rate_limit', retryable: true }));

    expect(key.breaker.probesInFlight).toBe(0);
    expect(key.breaker.state).toBe('half_open');
  });
});

describe('CircuitBreakerStage.lastLook (after a later wait: a cooldown, a pacing slot)', () => {
  it('a circuit that opened while the attempt waited refuses it (CircuitOpenError), nothing sent', () => {
    const key = makeKey();
    const waiter = key.stage();
    expect(waiter.beforeAttempt(new FakeCall())).toBeUndefined(); // closed: let go
    openCircuit(key); // meanwhile, two other attempts fail
    const { error } = rejectionOf(() => waiter.lastLook(new FakeCall()));
    expect(error.retryAfterMs).toBe(OPTIONS.halfOpenAfterMs);
  });

  it('a circuit still closed lets it go; a probe permit is kept (no second permit asked)', () => {
    const key = makeKey();
    const closed = key.stage();
    expect(closed.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(closed.lastLook(new FakeCall())).toBeUndefined();

    halfOpenWhenAsked(key);
    const probe = key.stage();
    expect(probe.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(key.breaker.probesInFlight).toBe(1);
    expect(probe.lastLook(new FakeCall())).toBeUndefined();
    expect(key.breaker.probesInFlight).toBe(1);
  });
});

describe('CircuitBreakerStage.handBack (before the stages look again after a wait)', () => {
  it('gives a probe permit back, so other calls are not refused while an earlier stage waits; lastLook asks anew', () => {
    const key = makeKey();
    halfOpenWhenAsked(key);
    const probe = key.stage();
    expect(probe.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(key.breaker.probesInFlight).toBe(1);

    probe.handBack(new FakeCall());
    expect(key.breaker.probesInFlight).toBe(0);
    expect(probe.lastLook(new FakeCall())).toBeUndefined();
    expect(key.breaker.probesInFlight).toBe(1);
    expect(probe.probeTimeoutMs()).toBe(OPTIONS.probeTimeoutMs);
  });

  it('keeps a permit of a closed circuit (nothing is counted for it)', () => {
    const key = makeKey();
    const stage = key.stage();
    expect(stage.beforeAttempt(new FakeCall())).toBeUndefined();
    stage.handBack(new FakeCall());
    expect(stage.lastLook(new FakeCall())).toBeUndefined();
  });
});

describe('CircuitBreakerStage with a store that shares the half-open probe', () => {
  it('asks the store for the probe, holding it for probeTimeoutMs, and lets the attempt go when granted', async () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const probe = key.stage();

    const waiting = probe.beforeAttempt(new FakeCall());

    expect(waiting).toBeInstanceOf(Promise);
    await expect(waiting).resolves.toBeUndefined();
    // Held for the probe's time; the store cuts a stored state further ahead than the longest open wait.
    expect(store.claimCircuitProbe).toHaveBeenCalledWith(KEY, OPTIONS.probeTimeoutMs, {
      maxOpenMs: OPTIONS.maxHalfOpenAfterMs,
      maxProbeMs: 15 * 60_000,
    });
    expect(probe.probeTimeoutMs()).toBe(500);
  });

  it("holds the shared probe for the call's own attempt timeout when it has one", async () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    await key.stage().beforeAttempt(new FakeCall(2500));
    expect(store.claimCircuitProbe).toHaveBeenCalledWith(KEY, 2500, {
      maxOpenMs: OPTIONS.maxHalfOpenAfterMs,
      maxProbeMs: 15 * 60_000,
    });
  });

  it("holds the probe no longer than its call's deadline: other calls are told the time it has left", async () => {
    const store = claimingStore(() => Promise.resolve({ granted: true }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const bounds = { ...OPEN_BOUNDS, deadlineMs: Date.now() + 300 };
    await key.stage().beforeAttempt(new FakeCall(2500, bounds));
    expect(store.claimCircuitProbe).toHaveBeenCalledWith(KEY, 300, {
      maxOpenMs: OPTIONS.maxHalfOpenAfterMs,
      maxProbeMs: 15 * 60_000,
    });
    const { error } = rejectionOf(() => key.stage().beforeAttempt(new FakeCall()));
    expect(error.retryAfterMs).toBe(300);
  });

  it("refuses the attempt with the store's retryAfterMs (rounded up) and gives the local probe back", async () => {
    const store = claimingStore(() => Promise.resolve({ granted: false, retryAfterMs: 1234.2 }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const call = new FakeCall();
    call.lastFailure = new Error('earlier failure');

    const rejection = await key
      .stage()
      .beforeAttempt(call)!
      .catch((e: unknown) => e);

    expect(rejection).toBeInstanceOf(StageRejection);
    const error = (rejection as StageRejection).error as CircuitOpenError;
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error.key).toBe(KEY);
    expect(error.retryAfterMs).toBe(1235);
    expect(error.cause).toBe(call.lastFailure);
    expect(key.breaker.probesInFlight).toBe(0);
  });

  it('bounds what the store says by max(maxHalfOpenAfterMs, probeTimeoutMs)', async () => {
    const store = claimingStore(() => Promise.resolve({ granted: false, retryAfterMs: 10 * 60_000 }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);

    const rejection = (await key
      .stage()
      .beforeAttempt(new FakeCall())!
      .catch((e: unknown) => e)) as StageRejection;

    expect((rejection.error as CircuitOpenError).retryAfterMs).toBe(4000);
  });

  it('bounds it by probeTimeoutMs when that is the longer', async () => {
    const options = validateCircuitBreakerOptions({
      failureThreshold: 2,
      halfOpenAfterMs: 1000,
      maxHalfOpenAfterMs: 4000,
      probeTimeoutMs: 9000,
    }).value!;
    const store = claimingStore(() => Promise.resolve({ granted: false, retryAfterMs: 10 * 60_000 }));
    const key = makeKey(store, options);
    halfOpenWhenAsked(key);

    const rejection = (await key
      .stage()
      .beforeAttempt(new FakeCall())!
      .catch((e: unknown) => e)) as StageRejection;

    expect((rejection.error as CircuitOpenError).retryAfterMs).toBe(9000);
  });

  it.each([0, -5, Number.NaN])('refuses for at least 1 ms when the store says %p', async (retryAfterMs) => {
    const store = claimingStore(() => Promise.resolve({ granted: false, retryAfterMs }));
    const key = makeKey(store);
    halfOpenWhenAsked(key);

    const rejection = (await key
      .stage()
      .beforeAttempt(new FakeCall())!
      .catch((e: unknown) => e)) as StageRejection;

    expect((rejection.error as CircuitOpenError).retryAfterMs).toBe(1);
  });

  it.each<[string, () => Promise<CircuitProbeClaim>]>([
    ['rejects', () => Promise.reject(new Error('redis down'))],
    [
      'throws',
      () => {
        throw new Error('redis down');
      },
    ],
  ])('lets the probe go when the store %s', async (_label, claim) => {
    const store = claimingStore(claim);
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const probe = key.stage();

    await expect(probe.beforeAttempt(new FakeCall())).resolves.toBeUndefined();
    expect(probe.probeTimeoutMs()).toBe(500);
    expect(key.breaker.probesInFlight).toBe(1);
  });

  it('lets the probe go when the store throws, also with a deadline', async () => {
    const store = claimingStore(() => {
      throw new Error('redis down');
    });
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const call = new FakeCall(undefined, {
      signal: undefined,
      deadlineMs: Date.now() + 10_000,
      maxUpstreamWaitMs: 60_000,
    });

    await expect(key.stage().beforeAttempt(call)).resolves.toBeUndefined();
  });

  it('cuts a slow claim at the deadline with a WaitRefusal (kind probe)', async () => {
    const store = claimingStore(() => new Promise<CircuitProbeClaim>(() => undefined));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const call = new FakeCall(undefined, {
      signal: undefined,
      deadlineMs: Date.now() + 200,
      maxUpstreamWaitMs: 60_000,
    });

    const outcome = key
      .stage()
      .beforeAttempt(call)!
      .catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(200);
    const error = await outcome;

    expect(error).toBeInstanceOf(WaitRefusal);
    expect(error).toMatchObject({ kind: 'probe', bound: 'deadline', waitMs: undefined });
  });

  it("ends a slow claim with the caller's abort reason", async () => {
    const store = claimingStore(() => new Promise<CircuitProbeClaim>(() => undefined));
    const key = makeKey(store);
    halfOpenWhenAsked(key);
    const controller = new AbortController();
    const call = new FakeCall(undefined, { signal: controller.signal, deadlineMs: undefined, maxUpstreamWaitMs: 1 });

    const outcome = key
      .stage()
      .beforeAttempt(call)!
      .catch((e: unknown) => e);
    const reason = new Error('caller gave up');
    controller.abort(reason);

    expect(await outcome).toBe(reason);
  });
});
