// Issue #12 item 13: a call that ends without a retry for a reason operations must see —
// our credentials refused, the quota spent, a Retry-After beyond maxRetryAfterMs — says so
// at warn, with the reason; other failures not retried stay at debug (the caller has them).
import { AuthenticationError, BadRequestError, RateLimitError } from 'openai';
import { configureResilience, resetResilience, RetryOpenAI } from '../../src';
import { createTestLogger } from '../support/test-logger';

let log: ReturnType<typeof createTestLogger>;

beforeEach(() => {
  resetResilience();
  log = createTestLogger();
  configureResilience({ logger: log.logger, random: () => 0 });
});
afterEach(() => resetResilience());

const headers = (extra: Record<string, string> = {}) => new Headers({ 'x-request-id': 'req_1', ...extra });

const failures = {
  auth: () => new AuthenticationError(401, { message: 'Incorrect API key provided' }, undefined, headers()),
  quota: () =>
    new RateLimitError(
      429,
      { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' },
      undefined,
      headers(),
    ),
  'retry-after beyond the cap': () =>
    new RateLimitError(429, { message: 'Rate limit reached' }, undefined, headers({ 'retry-after': '3600' })),
  'bad request': () => new BadRequestError(400, { message: 'Invalid model' }, undefined, headers()),
};

async function failOnce(error: Error): Promise<void> {
  class Agent {
    @RetryOpenAI({ maxAttempts: 3, maxRetryAfterMs: 60_000, key: `levels-${Math.random()}` })
    async complete(): Promise<string> {
      throw error;
    }
  }
  await expect(new Agent().complete()).rejects.toBe(error);
}

describe('a failure that is not retried', () => {
  it.each([
    ['auth', 'warn', 'auth'],
    ['quota', 'warn', 'quota_exhausted'],
    ['retry-after beyond the cap', 'warn', 'rate_limit'],
    ['bad request', 'debug', 'bad_request'],
  ] as const)('%s is logged once at %s, with its kind and reason', async (name, level, kind) => {
    await failOnce(failures[name]());
    const lines = log.transport.entries.filter((entry) => /is not retried/.test(String(entry.message)));
    expect(lines).toEqual([expect.objectContaining({ level, kind, reason: expect.any(String) })]);
    if (name === 'retry-after beyond the cap') expect(lines[0].reason).toBe('retry_after_exceeds_max');
  });
});
