// Mutation-testing groups (npm run test:mutation): the decision code, each group with only the
// tests that concern it, so that one group runs in minutes. Paths are relative to the repo root.
// `mutate` takes Stryker's globs (a leading `!` excludes); `tests` are jest testMatch globs.

/** @type {Record<string, { description: string, mutate: string[], tests: string[] }>} */
export const GROUPS = {
  classification: {
    description: 'classifyError, the status/code tables and the provider adapters',
    mutate: ['src/classification/**/*.ts', '!src/classification/index.ts', '!src/classification/retry-after.ts'],
    tests: [
      'tests/classification/classify-error.test.ts',
      'tests/classification/classification-table.test.ts',
      'tests/classification/status-table.test.ts',
      'tests/classification/body-cut.test.ts',
      'tests/classification/http-clients.test.ts',
      'tests/classification/request-id.test.ts',
      'tests/classification/library-errors.test.ts',
    ],
  },
  retry: {
    description: 'backoff, Retry-After parsing, the retry decision and the retry stage',
    mutate: ['src/classification/retry-after.ts', 'src/strategies/retry/*.ts', '!src/strategies/retry/index.ts'],
    tests: ['tests/classification/retry-after*.test.ts', 'tests/strategies/retry/*.test.ts'],
  },
  'circuit-breaker': {
    description: "the circuit breaker's state machine, failure window and stage",
    mutate: ['src/strategies/circuit-breaker/*.ts', '!src/strategies/circuit-breaker/index.ts'],
    tests: ['tests/strategies/circuit-breaker/*.test.ts'],
  },
  'retry-budget': {
    description: 'the retry budget, its options and stage',
    mutate: ['src/strategies/retry-budget/*.ts', '!src/strategies/retry-budget/index.ts'],
    tests: ['tests/strategies/retry-budget/*.test.ts'],
  },
  bulkhead: {
    description: 'the bulkhead, its options and stage',
    mutate: ['src/strategies/bulkhead/*.ts', '!src/strategies/bulkhead/index.ts'],
    tests: ['tests/strategies/bulkhead/*.test.ts'],
  },
  'rate-limit': {
    description: 'cooldown, cold start, pacing, rate-limit headers, the adaptive limiter and its stage',
    mutate: ['src/strategies/rate-limit/*.ts', '!src/strategies/rate-limit/index.ts'],
    tests: ['tests/strategies/rate-limit/*.test.ts'],
  },
  'stream-commit': {
    description: "a stream's commit point: item rules, hold-back, first-item and idle timeouts, stream errors",
    mutate: ['src/strategies/stream-commit/*.ts', '!src/strategies/stream-commit/index.ts'],
    tests: ['tests/strategies/stream-commit/*.test.ts', 'tests/pipeline/stream-commit.test.ts'],
  },
  timeout: {
    description: 'attempt timeouts, bounded waits and the stage contract',
    mutate: [
      'src/strategies/timeout/*.ts',
      '!src/strategies/timeout/index.ts',
      'src/strategies/bounded-wait.ts',
      'src/strategies/stage.ts',
    ],
    tests: [
      'tests/strategies/bounded-wait-sleep.test.ts',
      'tests/strategies/timeout/*.test.ts',
      'tests/waits/bounded-waits.test.ts',
      'tests/waits/bounded-waits-queues.test.ts',
      'tests/decorators/cancellation-timeouts.test.ts',
    ],
  },
};
