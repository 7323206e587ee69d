// A pipeline hands each attempt its RetryContext as fn's argument, without switching the
// AsyncLocalStorage-backed async context on (which slows every promise of the process on
// Node 20; see src/engine/retry-context.ts). Each test loads a fresh copy of the library, so
// "first use" really is the first.
import type { RetryContext } from '../../src';

type Lib = typeof import('../../src');

function freshLibrary(): Lib {
  let lib: Lib | undefined;
  jest.isolateModules(() => {
    lib = require('../../src');
  });
  return lib!;
}

// Outside the decorated methods, so their own source never mentions the context.
function attemptNow(lib: Lib): number | undefined {
  return lib.getRetryContext()?.attempt;
}

test('fn gets its context, across its own awaits, and the async context stays off', async () => {
  const lib = freshLibrary();
  lib.configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} }, random: () => 0 });
  const pipeline = lib.createResiliencePipeline({ name: 'p', shouldRetry: () => true });
  let calls = 0;
  const seen = await pipeline.execute(async (context: RetryContext) => {
    await Promise.resolve();
    if (++calls < 2) throw new Error('transient');
    return [context.attempt, context.maxAttempts, context.signal.aborted] as const;
  });
  expect(seen).toEqual([2, 3, false]);

  // The caller's signal takes the supervised path: the context is handed over there too.
  const controller = new AbortController();
  expect(await pipeline.execute((context) => context.attempt, { signal: controller.signal })).toBe(1);

  // Still off: a decorated method's helper, after an await, sees no context.
  class Agent {
    @lib.Retry({ shouldRetry: () => false })
    async run() {
      await Promise.resolve();
      return attemptNow(lib);
    }
  }
  expect(await new Agent().run()).toBeUndefined();
});

test('once something switched the async context on, fn still gets its own context', async () => {
  const lib = freshLibrary();
  expect(lib.getRetryContext()).toBeUndefined(); // switches it on
  const pipeline = lib.createResiliencePipeline({ name: 'p' });
  const results = await Promise.all(
    [1, 2, 3].map((n) =>
      pipeline.execute(async (context) => {
        await Promise.resolve();
        expect(lib.getRetryContext()).toBe(context);
        return n * context.attempt;
      }),
    ),
  );
  expect(results).toEqual([1, 2, 3]);
});
