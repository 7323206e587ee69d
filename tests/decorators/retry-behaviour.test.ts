import 'reflect-metadata';
import { getRetryContext, Retry, RetryNetwork } from '../../src';
import { FatalError, isTransient, TransientError, connectionReset } from '../support/errors';
import { setMetadata } from '../support/set-metadata';
import { useRetryTestEnvironment } from '../support/retry-test-environment';

// With random() = 0.5 and full jitter, the delays after attempts 1, 2, 3 are 500, 1000, 2000 ms.
const env = useRetryTestEnvironment();

/** Fails with `failures` errors in turn, then resolves with `value`. */
function script(failures: unknown[], value = 'ok') {
  let calls = 0;
  const fn = jest.fn(async () => {
    const failure = failures[calls++];
    if (failure !== undefined) throw failure;
    return value;
  });
  return fn;
}

describe('a decorated async method', () => {
  it('returns the first result without delay or warning and keeps `this`', async () => {
    class Agent {
      prefix = 'hello';
      @Retry({ shouldRetry: isTransient })
      async greet(name: string) {
        return `${this.prefix} ${name}`;
      }
    }
    await expect(new Agent().greet('ada')).resolves.toBe('hello ada');
    expect(env.log.at('warn')).toHaveLength(0);
  });

  it('retries retryable failures on the backoff schedule, then resolves', async () => {
    const body = script([new TransientError(), new TransientError()]);
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async run() {
        return body();
      }
    }
    const result = new Agent().run();
    await jest.advanceTimersByTimeAsync(0);
    expect(body).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(499); // first backoff: 0.5 * 1000 ms
    expect(body).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(body).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1000); // second backoff: 0.5 * 2000 ms
    expect(body).toHaveBeenCalledTimes(3);
    await expect(result).resolves.toBe('ok');
    expect(env.log.at('warn')).toHaveLength(2);
  });

  it('rethrows the original error of the last attempt when attempts run out', async () => {
    const errors = [new TransientError('one'), new TransientError('two'), new TransientError('three')];
    const body = script(errors);
    class Agent {
      @Retry({ shouldRetry: isTransient, maxAttempts: 3 })
      async run() {
        return body();
      }
    }
    const result = new Agent().run();
    const settled = expect(result).rejects.toBe(errors[2]);
    await jest.runAllTimersAsync();
    await settled;
    expect(body).toHaveBeenCalledTimes(3);
    expect(env.log.at('warn')).toHaveLength(2);
    expect(env.log.at('error')).toHaveLength(1);
  });

  it('does not retry an error the predicate rejects, and logs it no higher than debug', async () => {
    const fatal = new FatalError();
    const body = script([fatal]);
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async run() {
        return body();
      }
    }
    await expect(new Agent().run()).rejects.toBe(fatal);
    expect(body).toHaveBeenCalledTimes(1);
    expect([...env.log.at('warn'), ...env.log.at('error'), ...env.log.at('info')]).toHaveLength(0);
    expect(env.log.at('debug')).toHaveLength(1);
  });

  it('counts maxAttempts as all attempts, the first included', async () => {
    const body = script(Array.from({ length: 10 }, () => new TransientError()));
    class Agent {
      @Retry({ shouldRetry: isTransient, maxAttempts: 1 })
      async once() {
        return body();
      }
    }
    await expect(new Agent().once()).rejects.toBeInstanceOf(TransientError);
    expect(body).toHaveBeenCalledTimes(1);
  });

  it('keeps attempt state per invocation: concurrent calls on one instance do not share counters', async () => {
    const bodies = new Map<string, jest.Mock>([
      ['a', script([new TransientError(), new TransientError()], 'A')],
      ['b', script([new TransientError(), new TransientError()], 'B')],
    ]);
    class Agent {
      @Retry({ shouldRetry: isTransient, maxAttempts: 3 })
      async run(which: string) {
        return bodies.get(which)!();
      }
    }
    const agent = new Agent();
    const both = Promise.all([agent.run('a'), agent.run('b')]);
    await jest.runAllTimersAsync();
    await expect(both).resolves.toEqual(['A', 'B']);
    expect(bodies.get('a')).toHaveBeenCalledTimes(3);
    expect(bodies.get('b')).toHaveBeenCalledTimes(3);
  });

  it('retries a thenable result (such as openai APIPromise) asynchronously', async () => {
    let calls = 0;
    class Agent {
      @Retry({ shouldRetry: isTransient })
      run(): PromiseLike<string> {
        calls++;
        const outcome = calls < 2 ? Promise.reject(new TransientError()) : Promise.resolve('done');
        return { then: (ok, fail) => outcome.then(ok, fail) };
      }
    }
    const result = new Agent().run();
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('done');
    expect(calls).toBe(2);
  });

  it('retries Node connection errors with @RetryNetwork', async () => {
    const body = script([connectionReset()]);
    class Client {
      @RetryNetwork()
      async fetchIt() {
        return body();
      }
    }
    const result = new Client().fetchIt();
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('ok');
    expect(body).toHaveBeenCalledTimes(2);
  });
});

describe('arguments', () => {
  it.each([0, 1, 2, 3, 4, 6])('passes exactly %i arguments to every attempt', async (count) => {
    const seen: unknown[][] = [];
    class Agent {
      @Retry({ shouldRetry: isTransient })
      async run(...args: unknown[]) {
        seen.push([...arguments]);
        if (seen.length === 1) throw new TransientError();
        return args.length;
      }
    }
    const args = Array.from({ length: count }, (_, i) => ({ i }));
    const result = new Agent().run(...args);
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe(count);
    expect(seen).toEqual([args, args]);
    expect(seen[1].every((arg, i) => arg === args[i])).toBe(true);
  });
});

describe('methods that are not async', () => {
  it('passes a plain result through unchanged', () => {
    class Calc {
      @Retry({ shouldRetry: () => true })
      double(x: number) {
        return x * 2;
      }
    }
    expect(new Calc().double(21)).toBe(42);
  });

  it('rethrows a synchronous throw as is, without retrying', () => {
    const error = new TransientError();
    let calls = 0;
    class Calc {
      @Retry({ shouldRetry: () => true })
      fail(): number {
        calls++;
        throw error;
      }
    }
    expect(() => new Calc().fail()).toThrow(error);
    expect(calls).toBe(1);
  });
});

describe('the decorated function', () => {
  it('keeps its name and length, and works on static methods', async () => {
    const body = script([new TransientError()]);
    class Store {
      static prefix = 'static';
      @Retry({ shouldRetry: isTransient })
      static async load(a: string, b: string) {
        await body();
        return `${this.prefix}:${a}${b}`;
      }
    }
    expect(Store.load.name).toBe('load');
    expect(Store.load.length).toBe(2);
    const result = Store.load('x', 'y');
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('static:xy');
    expect(env.log.at('warn')[0].message).toContain('Retrying Store.load in 0.50s');
  });

  it('names instance methods ClassName.method in logs, or uses the name option', async () => {
    class ChatAgent {
      @Retry({ shouldRetry: isTransient })
      async complete() {
        throw new TransientError();
      }
      @Retry({ shouldRetry: isTransient, name: 'custom-name', maxAttempts: 2 })
      async other() {
        throw new TransientError();
      }
    }
    const agent = new ChatAgent();
    const results = [agent.complete(), agent.other()].map((p) => p.catch((e) => e));
    await jest.runAllTimersAsync();
    await Promise.all(results);
    const methods = env.log.at('warn').map((entry) => entry.method);
    expect(methods).toContain('ChatAgent.complete');
    expect(methods).toContain('custom-name');
  });

  it('keeps reflect-metadata stored on the method by decorators applied before it', () => {
    class Controller {
      @Retry({ shouldRetry: isTransient })
      @setMetadata('roles', ['admin'])
      async handle() {
        return 1;
      }
    }
    expect(Reflect.getMetadata('roles', Controller.prototype.handle)).toEqual(['admin']);
  });

  it('keeps reflect-metadata stored on the method by decorators applied after it', () => {
    class Controller {
      @setMetadata('roles', ['user'])
      @Retry({ shouldRetry: isTransient })
      async handle() {
        return 1;
      }
    }
    expect(Reflect.getMetadata('roles', Controller.prototype.handle)).toEqual(['user']);
  });

  it('keeps metadata defined with Reflect.defineMetadata on the original function', () => {
    async function original() {
      return 1;
    }
    Reflect.defineMetadata('path', '/chat', original);
    const decorate = Retry({ shouldRetry: isTransient }) as any;
    const descriptor = { value: original, writable: true, configurable: true, enumerable: false };
    const result = decorate({}, 'original', descriptor) ?? descriptor;
    expect(result.value).not.toBe(original);
    expect(Reflect.getMetadata('path', result.value)).toBe('/chat');
  });
});

describe('getRetryContext()', () => {
  it('tells the running attempt and maxAttempts, and is undefined outside a decorated call', async () => {
    const seen: Array<[number, number]> = [];
    class Agent {
      @Retry({ shouldRetry: isTransient, maxAttempts: 3 })
      async run() {
        await Promise.resolve();
        const ctx = getRetryContext()!;
        seen.push([ctx.attempt, ctx.maxAttempts]);
        if (ctx.attempt < 3) throw new TransientError();
        return 'ok';
      }
    }
    const result = new Agent().run();
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('ok');
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(getRetryContext()).toBeUndefined();
  });
});
