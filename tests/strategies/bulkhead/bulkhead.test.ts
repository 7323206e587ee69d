import {
  Bulkhead,
  BulkheadRejectedError,
  isBulkheadRejectedError,
  type BulkheadRelease,
} from '../../../src/strategies/bulkhead/bulkhead';

/** Lets queued grants (promise continuations) run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('Bulkhead', () => {
  it('lets maxConcurrency calls through at once', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 2, queueLimit: 0 });
    await bulkhead.acquire();
    await bulkhead.acquire();
    expect(bulkhead.stats()).toEqual({ active: 2, queued: 0 });
  });

  it('queues the calls beyond it and lets them in FIFO as slots are released', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 3 });
    const first = await bulkhead.acquire();
    const order: number[] = [];
    const releases: Promise<BulkheadRelease>[] = [1, 2, 3].map((n) =>
      bulkhead.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await flush();
    expect(order).toEqual([]);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 3 });

    first();
    await flush();
    expect(order).toEqual([1]);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 2 });
    (await releases[0])();
    await flush();
    (await releases[1])();
    await flush();
    expect(order).toEqual([1, 2, 3]);
    (await releases[2])();
    expect(bulkhead.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('rejects at once with BulkheadRejectedError when the queue is full', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 2, queueLimit: 1, key: 'openai:gpt-4o' });
    await bulkhead.acquire();
    await bulkhead.acquire();
    void bulkhead.acquire();
    const error = await bulkhead.acquire().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(isBulkheadRejectedError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'BulkheadRejectedError',
      message: 'Too many concurrent calls to openai:gpt-4o (limit 2, queue 1)',
      key: 'openai:gpt-4o',
      maxConcurrency: 2,
      queueLimit: 1,
    });
    expect(bulkhead.stats()).toEqual({ active: 2, queued: 1 });
  });

  it('with queueLimit 0 rejects every call beyond maxConcurrency', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0 });
    await bulkhead.acquire();
    await expect(bulkhead.acquire()).rejects.toThrow('Too many concurrent calls to this service (limit 1, queue 0)');
  });

  it('release is idempotent: a second call frees nothing more', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 1 });
    const release = await bulkhead.acquire();
    let granted = false;
    const waiting = bulkhead.acquire().then((next) => {
      granted = true;
      return next;
    });
    release();
    release();
    await flush();
    expect(granted).toBe(true);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
    (await waiting)();
    (await waiting)();
    expect(bulkhead.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('an aborted waiter leaves the queue and rejects with the signal reason', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 2 });
    const release = await bulkhead.acquire();
    const controller = new AbortController();
    const aborted = bulkhead.acquire(controller.signal);
    const next = bulkhead.acquire();
    expect(bulkhead.stats().queued).toBe(2);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 1 });
    release();
    await expect(next).resolves.toEqual(expect.any(Function));
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
  });

  it('an already aborted signal rejects at once without taking a slot', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 1 });
    const reason = new Error('too late');
    await expect(bulkhead.acquire(AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(bulkhead.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('aborting after the slot was granted changes nothing', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 1 });
    const release = await bulkhead.acquire();
    const controller = new AbortController();
    const waiting = bulkhead.acquire(controller.signal);
    release();
    const second = await waiting;
    controller.abort();
    await flush();
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
    second();
    expect(bulkhead.stats()).toEqual({ active: 0, queued: 0 });
  });

  it('brand-checks errors from another copy of the library, and nothing else', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('llm-resilience.BulkheadRejectedError')]: true });
    expect(isBulkheadRejectedError(foreign)).toBe(true);
    expect(isBulkheadRejectedError(new Error('Too many concurrent calls'))).toBe(false);
    expect(isBulkheadRejectedError(null)).toBe(false);
    expect(isBulkheadRejectedError('BulkheadRejectedError')).toBe(false);
  });

  it.each([
    [{ maxConcurrency: 0, queueLimit: 0 }],
    [{ maxConcurrency: 1.5, queueLimit: 0 }],
    [{ maxConcurrency: 1, queueLimit: -1 }],
    [{ maxConcurrency: 1, queueLimit: Number.POSITIVE_INFINITY }],
  ])('rejects bad limits %p', (options) => {
    expect(() => new Bulkhead(options)).toThrow(RangeError);
  });
});
