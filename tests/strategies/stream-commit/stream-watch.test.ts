import { StreamWatch } from '../../../src/strategies/stream-commit/stream-watch';
import { isStreamTimeoutError } from '../../../src';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function watched(first: number | undefined, idle: number | undefined, committed = false) {
  const aborted: unknown[] = [];
  const watch = new StreamWatch({ abort: (reason) => aborted.push(reason) }, 'Chat.stream', first, idle, committed);
  let stopped: unknown;
  watch.stopped.catch((error: unknown) => (stopped = error));
  return { watch, aborted, stopped: () => stopped };
}

describe('StreamWatch', () => {
  it('first-item timeout: fires at its time unless the stream commits, and aborts the attempt', async () => {
    const { watch, aborted, stopped } = watched(1000, undefined);
    await jest.advanceTimersByTimeAsync(999);
    expect(stopped()).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(isStreamTimeoutError(stopped())).toBe(true);
    expect(stopped()).toMatchObject({ phase: 'first_item', timeoutMs: 1000, method: 'Chat.stream' });
    expect(aborted).toEqual([stopped()]);
    expect(watch.fired).toBe(true);
  });

  it('the commit ends the first-item timeout', async () => {
    const { watch, stopped } = watched(1000, undefined);
    await jest.advanceTimersByTimeAsync(500);
    watch.commit();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(stopped()).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('idle timeout: counts only the time a next() is pending', async () => {
    const { watch, stopped } = watched(undefined, 1000, true);
    watch.waiting();
    await jest.advanceTimersByTimeAsync(800);
    watch.received();
    // The caller holds the item for 5 s: not idle time.
    await jest.advanceTimersByTimeAsync(5000);
    expect(stopped()).toBeUndefined();
    watch.waiting();
    await jest.advanceTimersByTimeAsync(999);
    expect(stopped()).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(stopped()).toMatchObject({ phase: 'idle', timeoutMs: 1000 });
  });

  it('one timer for many items', async () => {
    const { watch } = watched(undefined, 1000, true);
    for (let i = 0; i < 100; i++) {
      watch.waiting();
      watch.received();
    }
    expect(jest.getTimerCount()).toBe(1);
    watch.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('starts unfired, and an idle watch is not reset by a second commit', async () => {
    const { watch, stopped } = watched(undefined, 1000, true);
    expect(watch.fired).toBe(false);
    watch.waiting();
    await jest.advanceTimersByTimeAsync(600);
    watch.commit();
    await jest.advanceTimersByTimeAsync(400);
    expect(stopped()).toMatchObject({ phase: 'idle' });
  });

  it('without an idle timeout, the commit turns the watch off: waiting starts no timer', () => {
    const { watch } = watched(1000, undefined);
    watch.commit();
    watch.waiting();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('before the commit, waiting starts no idle timer (only the first-item one runs)', () => {
    const { watch } = watched(1000, 50);
    watch.waiting();
    expect(jest.getTimerCount()).toBe(1);
  });

  it('re-arms for the rest of the idle time when the timer finds a wait that started late', async () => {
    const { watch, stopped } = watched(undefined, 1000, true);
    watch.waiting();
    await jest.advanceTimersByTimeAsync(800);
    watch.received();
    await jest.advanceTimersByTimeAsync(100);
    // A new wait from 900 ms: the timer set at 0 finds it 100 ms old at 1000 ms, and waits 900 more.
    watch.waiting();
    await jest.advanceTimersByTimeAsync(999);
    expect(stopped()).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(stopped()).toMatchObject({ phase: 'idle', timeoutMs: 1000 });
  });

  it('is not needed without either timeout', () => {
    expect(StreamWatch.needed(undefined, undefined)).toBe(false);
    expect(StreamWatch.needed(1, undefined)).toBe(true);
    expect(StreamWatch.needed(undefined, 1)).toBe(true);
  });
});
