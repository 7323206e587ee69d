import { WaitRefusal } from '../../../src/strategies/bounded-wait';
import { Bulkhead, BulkheadRejectedError } from '../../../src/strategies/bulkhead/bulkhead';
import { BulkheadStage } from '../../../src/strategies/bulkhead/bulkhead-stage';
import { FakeCall, NOW, track } from '../support';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The attempt of `stage` takes a free slot synchronously. */
function takeSlot(stage: BulkheadStage): void {
  expect(stage.beforeAttempt(new FakeCall())).toBeUndefined();
}

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('BulkheadStage before an attempt', () => {
  it('takes a free slot synchronously (no promise)', () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 2, queueLimit: 0, key: 'search' });
    const stage = new BulkheadStage(bulkhead);

    expect(stage.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
  });

  it('always says it may hold the first attempt back', () => {
    expect(new BulkheadStage(new Bulkhead({ maxConcurrency: 1, queueLimit: 0 })).holdsAttempts()).toBe(true);
  });

  it('queues when every slot is busy, and gets the slot when the holder releases it', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 1, key: 'search' });
    const first = new BulkheadStage(bulkhead);
    const second = new BulkheadStage(bulkhead);
    expect(first.beforeAttempt(new FakeCall())).toBeUndefined();

    const waiting = second.beforeAttempt(new FakeCall());
    expect(waiting).toBeInstanceOf(Promise);
    const state = track(waiting!);
    await jest.advanceTimersByTimeAsync(0);
    expect(state.settled).toBe(false);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 1 });

    first.attemptOver(undefined);
    await jest.advanceTimersByTimeAsync(0);
    expect(state).toEqual({ settled: true, error: undefined });
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });

    // The slot handed over is the second stage's: its attemptOver gives it back.
    second.attemptOver(undefined);
    expect(bulkhead.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('rejects at once with BulkheadRejectedError when the queue is full', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 1, key: 'search' });
    takeSlot(new BulkheadStage(bulkhead));
    const queued = track(new BulkheadStage(bulkhead).beforeAttempt(new FakeCall())!);

    const error = await new BulkheadStage(bulkhead).beforeAttempt(new FakeCall())!.catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(error).toMatchObject({ key: 'search', maxConcurrency: 1, queueLimit: 1 });
    expect(queued.settled).toBe(false);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 1 });
  });

  it('cuts a queued wait at the deadline with a WaitRefusal of unknown length, leaving the queue', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 5 });
    takeSlot(new BulkheadStage(bulkhead));
    const stage = new BulkheadStage(bulkhead);
    const call = new FakeCall({ signal: undefined, deadlineMs: NOW + 1000, maxUpstreamWaitMs: 60_000 });
    const state = track(stage.beforeAttempt(call)!);

    await jest.advanceTimersByTimeAsync(999);
    expect(state.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);

    expect(state.settled).toBe(true);
    expect(state.error).toBeInstanceOf(WaitRefusal);
    expect(state.error).toMatchObject({ kind: 'bulkhead', bound: 'deadline', waitMs: undefined });
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
    // Nothing to give back: the refused attempt held no slot.
    stage.attemptOver(undefined);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
  });

  it('refuses a queued wait at once when the deadline has already passed', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 5 });
    takeSlot(new BulkheadStage(bulkhead));
    const call = new FakeCall({ signal: undefined, deadlineMs: NOW, maxUpstreamWaitMs: 60_000 });

    const state = track(new BulkheadStage(bulkhead).beforeAttempt(call)!);
    await jest.advanceTimersByTimeAsync(0);

    expect(state.settled).toBe(true);
    expect(state.error).toBeInstanceOf(WaitRefusal);
    expect(state.error).toMatchObject({ kind: 'bulkhead', bound: 'deadline', waitMs: undefined });
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
  });

  it("rejects a queued wait with the caller's abort reason, leaving the queue", async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 5 });
    takeSlot(new BulkheadStage(bulkhead));
    const controller = new AbortController();
    const call = new FakeCall({ signal: controller.signal, deadlineMs: NOW + 60_000, maxUpstreamWaitMs: 60_000 });
    const state = track(new BulkheadStage(bulkhead).beforeAttempt(call)!);
    await jest.advanceTimersByTimeAsync(10);
    expect(bulkhead.stats().queued).toBe(1);

    const reason = new Error('caller gave up');
    controller.abort(reason);
    await jest.advanceTimersByTimeAsync(0);

    expect(state).toEqual({ settled: true, error: reason });
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
  });
});

describe('BulkheadStage when the attempt is over', () => {
  it('frees the slot at once when nothing is still running', () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0 });
    const stage = new BulkheadStage(bulkhead);
    takeSlot(stage);
    expect(bulkhead.stats().active).toBe(1);

    stage.attemptOver(undefined);
    expect(bulkhead.stats().active).toBe(0);
  });

  it('frees the slot only once, however often it is told', () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 2, queueLimit: 0 });
    const stage = new BulkheadStage(bulkhead);
    takeSlot(new BulkheadStage(bulkhead));
    takeSlot(stage);
    expect(bulkhead.stats().active).toBe(2);

    stage.attemptOver(undefined);
    stage.attemptOver(undefined);
    expect(bulkhead.stats().active).toBe(1);
  });

  it('takes a new slot for each attempt of the call', () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0 });
    const stage = new BulkheadStage(bulkhead);
    takeSlot(stage);
    stage.attemptOver(undefined);
    expect(stage.beforeAttempt(new FakeCall())).toBeUndefined();
    expect(bulkhead.stats().active).toBe(1);
    stage.attemptOver(undefined);
    expect(bulkhead.stats().active).toBe(0);
  });

  it('keeps the slot of an abandoned attempt until it resolves', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0 });
    const stage = new BulkheadStage(bulkhead);
    takeSlot(stage);
    const running = deferred<string>();

    stage.attemptOver(running.promise);
    await jest.advanceTimersByTimeAsync(0);
    expect(bulkhead.stats().active).toBe(1);

    running.resolve('late answer');
    await jest.advanceTimersByTimeAsync(0);
    expect(bulkhead.stats().active).toBe(0);
  });

  it('keeps the slot of an abandoned attempt until it rejects', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0 });
    const stage = new BulkheadStage(bulkhead);
    takeSlot(stage);
    const running = deferred<string>();

    stage.attemptOver(running.promise);
    await jest.advanceTimersByTimeAsync(0);
    expect(bulkhead.stats().active).toBe(1);

    running.reject(new Error('late failure'));
    await jest.advanceTimersByTimeAsync(0);
    expect(bulkhead.stats().active).toBe(0);
  });

  it('hands the slot of an abandoned attempt to the next queued call only when it settles', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 1 });
    const stage = new BulkheadStage(bulkhead);
    takeSlot(stage);
    const next = track(new BulkheadStage(bulkhead).beforeAttempt(new FakeCall())!);
    const running = deferred<void>();

    stage.attemptOver(running.promise);
    await jest.advanceTimersByTimeAsync(0);
    expect(next.settled).toBe(false);

    running.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(next).toEqual({ settled: true, error: undefined });
  });

  it('does nothing for an attempt that never got a slot', () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0 });
    takeSlot(new BulkheadStage(bulkhead));
    new BulkheadStage(bulkhead).attemptOver(undefined);
    expect(bulkhead.stats().active).toBe(1);
  });
});
