// Bulkhead decisions a mutation once changed unnoticed (npm run test:mutation -- bulkhead).
import { Bulkhead, BulkheadRejectedError, isBulkheadRejectedError } from '../../../src/strategies/bulkhead/bulkhead';

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('Bulkhead: limits', () => {
  it.each<[string, number, number, string]>([
    ['maxConcurrency 0', 0, 0, 'maxConcurrency must be an integer of at least 1, got 0'],
    ['maxConcurrency 1.5', 1.5, 0, 'maxConcurrency must be an integer of at least 1, got 1.5'],
    ['queueLimit -1', 1, -1, 'queueLimit must be an integer of at least 0, got -1'],
    ['queueLimit NaN', 1, Number.NaN, 'queueLimit must be an integer of at least 0, got NaN'],
  ])('rejects %s', (_label, maxConcurrency, queueLimit, message) => {
    expect(() => new Bulkhead({ maxConcurrency, queueLimit })).toThrow(new RangeError(message));
  });

  it('accepts maxConcurrency 1 and queueLimit 0, and names the key in its rejections', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 0, key: 'openai|gpt' });
    expect(bulkhead.key).toBe('openai|gpt');
    expect(new Bulkhead({ maxConcurrency: 1, queueLimit: 0 }).key).toBe('this service');
    await bulkhead.acquire();
    const rejection = await bulkhead.acquire().catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(BulkheadRejectedError);
    expect(rejection).toMatchObject({
      name: 'BulkheadRejectedError',
      message: 'Too many concurrent calls to openai|gpt (limit 1, queue 0)',
      key: 'openai|gpt',
      maxConcurrency: 1,
      queueLimit: 0,
    });
    expect(isBulkheadRejectedError(rejection)).toBe(true);
    expect(isBulkheadRejectedError(null)).toBe(false);
    expect(isBulkheadRejectedError(undefined)).toBe(false);
    expect(isBulkheadRejectedError('BulkheadRejectedError')).toBe(false);
    expect(isBulkheadRejectedError({ [Symbol.for('llm-resilience.BulkheadRejectedError')]: 1 })).toBe(false);
  });

  it('queues exactly queueLimit callers', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 2 });
    await bulkhead.acquire();
    void bulkhead.acquire();
    void bulkhead.acquire();
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 2 });
    await expect(bulkhead.acquire()).rejects.toBeInstanceOf(BulkheadRejectedError);
  });
});

describe('Bulkhead: tryAcquire', () => {
  it('takes a free slot, or none when all are taken (never queues)', () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 2, queueLimit: 5 });
    const first = bulkhead.tryAcquire();
    const second = bulkhead.tryAcquire();
    expect(first).toBeInstanceOf(Function);
    expect(second).toBeInstanceOf(Function);
    expect(bulkhead.tryAcquire()).toBeUndefined();
    expect(bulkhead.stats()).toEqual({ active: 2, queued: 0 });
    first?.();
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
    expect(bulkhead.tryAcquire()).toBeInstanceOf(Function);
  });
});

describe('Bulkhead: waiters', () => {
  it('a waiter that aborts leaves the others in order', async () => {
    const bulkhead = new Bulkhead({ maxConcurrency: 1, queueLimit: 3 });
    const release = await bulkhead.acquire();
    const controller = new AbortController();
    const granted: string[] = [];
    const first = bulkhead.acquire().then((r) => (granted.push('first'), r));
    const aborted = bulkhead.acquire(controller.signal).catch(() => 'aborted');
    const third = bulkhead.acquire().then((r) => (granted.push('third'), r));
    controller.abort();
    expect(await aborted).toBe('aborted');
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 2 });
    release();
    (await first)();
    await third;
    await flush();
    expect(granted).toEqual(['first', 'third']);
    expect(bulkhead.stats()).toEqual({ active: 1, queued: 0 });
  });
});
