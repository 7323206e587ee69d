// getRetryContext() is backed by AsyncLocalStorage, switched on lazily (see retry-context.ts).
// Each test loads a fresh copy of the library, so "first use" really is the first.
type Lib = typeof import('../../src');

function freshLibrary(): Lib {
  let lib: Lib | undefined;
  jest.isolateModules(() => {
    lib = require('../../src');
  });
  return lib!;
}

const transient = (error: unknown) => (error as Error).message === 'transient';

// Helpers outside the decorated methods, so the methods' own source never mentions the context.
function attemptNow(lib: Lib): number | undefined {
  return lib.getRetryContext()?.attempt;
}

test('is visible in the synchronous part of a call before anything switched it on, then across awaits', async () => {
  const lib = freshLibrary();
  const seen: Array<number | undefined> = [];
  class Agent {
    @lib.Retry({ shouldRetry: transient })
    async syncPart() {
      seen.push(attemptNow(lib));
      return 'ok';
    }
    @lib.Retry({ shouldRetry: transient })
    async afterAwait() {
      await Promise.resolve();
      seen.push(attemptNow(lib));
      return 'ok';
    }
  }
  const agent = new Agent();
  await agent.syncPart();
  await agent.afterAwait();
  expect(seen).toEqual([1, 1]);
  expect(attemptNow(lib)).toBeUndefined();
});

test('is switched on when the class is defined if a decorated method mentions getRetryContext', async () => {
  const lib = freshLibrary();
  const { getRetryContext } = lib;
  let seen: number | undefined;
  class Agent {
    @lib.Retry({ shouldRetry: transient })
    async run() {
      await Promise.resolve();
      seen = getRetryContext()?.attempt;
    }
  }
  await new Agent().run();
  expect(seen).toBe(1);
});

test('misses only a first-ever use after an await from a helper, and works from then on', async () => {
  const lib = freshLibrary();
  const seen: Array<number | undefined> = [];
  class Agent {
    @lib.Retry({ shouldRetry: transient })
    async run() {
      await Promise.resolve();
      seen.push(attemptNow(lib));
    }
  }
  await new Agent().run();
  await new Agent().run();
  expect(seen).toEqual([undefined, 1]);
});

test('nested decorated calls each see their own context in the synchronous part', async () => {
  const lib = freshLibrary();
  const seen: string[] = [];
  const label = (name: string) => `${name}:${lib.getRetryContext()?.maxAttempts}`;
  class Inner {
    @lib.Retry({ shouldRetry: transient, maxAttempts: 2 })
    async run() {
      seen.push(label('inner'));
    }
  }
  class Outer {
    @lib.Retry({ shouldRetry: transient, maxAttempts: 5 })
    async run() {
      const inner = new Inner().run();
      seen.push(label('outer'));
      await inner;
    }
  }
  await new Outer().run();
  expect(seen).toEqual(['inner:2', 'outer:5']);
});
