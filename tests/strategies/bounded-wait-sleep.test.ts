import { abortableSleep } from '../../src/strategies/bounded-wait';

describe('abortableSleep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves after the delay', async () => {
    let done = false;
    const sleeping = abortableSleep(100).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(done).toBe(true);
  });

  it.each([0, -5, Number.NaN])('resolves without a timer for %p ms', async (ms) => {
    await expect(abortableSleep(ms)).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const reason = new Error('caller gave up');
    await expect(abortableSleep(100, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects with the reason when aborted while waiting, and clears its timer', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(10_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects with an AbortError when aborted without a reason', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(10_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('stops listening to the signal once it has resolved', async () => {
    const controller = new AbortController();
    const remove = jest.spyOn(controller.signal, 'removeEventListener');
    const sleeping = abortableSleep(10, controller.signal);
    await jest.advanceTimersByTimeAsync(10);
    await sleeping;
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });

  it('keeps a delay beyond the timer limit long instead of firing after 1 ms', async () => {
    let done = false;
    void abortableSleep(2 ** 31 + 1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(1000);
    expect(done).toBe(false);
    jest.clearAllTimers();
  });
});
