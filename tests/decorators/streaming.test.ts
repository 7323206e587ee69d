import { getRetryContext, isStreamInterruptedError, Retry } from '../../src';
import { isTransient, TransientError } from '../support/errors';
import { useRetryTestEnvironment } from '../support/retry-test-environment';

const env = useRetryTestEnvironment();

async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const items: string[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('async-generator methods (streaming)', () => {
  it('retries a stream that fails before its first item', async () => {
    let calls = 0;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async *stream(prompt: string) {
        calls++;
        if (calls === 1) throw new TransientError();
        yield `${prompt}-a`;
        yield `${prompt}-b`;
      }
    }
    const items = collect(new Agent().stream('p'));
    await jest.runAllTimersAsync();
    await expect(items).resolves.toEqual(['p-a', 'p-b']);
    expect(calls).toBe(2);
    expect(env.log.at('warn')).toHaveLength(1);
  });

  it('never retries once an item has reached the caller: a StreamInterruptedError whose cause is the failure', async () => {
    let calls = 0;
    const broken = new TransientError('cut');
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async *stream() {
        calls++;
        yield 'first';
        throw broken;
      }
    }
    const received: string[] = [];
    const consume = (async () => {
      for await (const item of new Agent().stream()) received.push(item);
    })();
    const error = await consume.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ cause: broken, itemsReceived: 1, partialText: 'first' });
    expect(received).toEqual(['first']);
    expect(calls).toBe(1);
    expect(env.log.at('warn')).toHaveLength(0);
  });

  it('closes the method generator when the caller stops early', async () => {
    let closed = false;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async *stream() {
        try {
          yield 1;
          yield 2;
        } finally {
          closed = true;
        }
      }
    }
    for await (const item of new Agent().stream()) {
      expect(item).toBe(1);
      break;
    }
    expect(closed).toBe(true);
  });

  it('runs the generator body inside the retry context', async () => {
    const attempts: number[] = [];
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async *stream() {
        await Promise.resolve();
        const { attempt } = getRetryContext()!;
        attempts.push(attempt);
        if (attempt === 1) throw new TransientError();
        yield 'x';
      }
    }
    const items = collect(new Agent().stream());
    await jest.runAllTimersAsync();
    await expect(items).resolves.toEqual(['x']);
    expect(attempts).toEqual([1, 2]);
  });

  it('rethrows the last error when every attempt fails before yielding', async () => {
    let calls = 0;
    class Agent {
      // eslint-disable-next-line require-yield -- fails before its first item, on purpose
      @Retry({ shouldRetry: isTransient, maxAttempts: 2 })
      async *stream(): AsyncGenerator<string> {
        calls++;
        throw new TransientError(`attempt ${calls}`);
      }
    }
    const items = collect(new Agent().stream()).catch((error: Error) => error.message);
    await jest.runAllTimersAsync();
    await expect(items).resolves.toBe('attempt 2');
  });
});
