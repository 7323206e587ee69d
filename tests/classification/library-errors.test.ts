// The library's own errors, classified the same in every scope (they come first in each): its
// timeouts are timeouts (retryable, so an exhausted call can move on to a fallback), a failed
// token provider is a credential error, an open circuit and a throttled upstream are not retried,
// a stream's failure event is classified by its code, and a stream broken after its commit point
// keeps what broke it but is never retried. Recognised by brand, so also from another copy of
// the library. Mutation testing (npm run test:mutation -- classification) measures these rows.
import { APIError } from 'openai/core/error';
import {
  AttemptTimeoutError,
  BulkheadRejectedError,
  CircuitOpenError,
  RetryTimeoutError,
  StreamEventError,
  StreamInterruptedError,
  StreamTimeoutError,
  TokenProviderError,
  UpstreamThrottledError,
} from '../../src';
import {
  classifyAzureError,
  classifyError,
  classifyNetworkError,
  classifyOpenAIError,
  type ErrorClassification,
} from '../../src/classification';
import { NODE_NETWORK_CODES, UNDICI_NETWORK_CODES } from '../../src/classification/adapters/network-error-facts';
import { NETWORK_CODE_RULES, STREAM_EVENT_CODE_RULES } from '../../src/classification/status-table';

const NOW = Date.parse('2025-01-01T00:00:00Z');

const verdict = (kind: ErrorClassification['kind'], retryable: boolean, reason: string): ErrorClassification => ({
  kind,
  retryable,
  reason,
});

const SCOPES = [classifyOpenAIError, classifyAzureError, classifyNetworkError, classifyError] as const;

/** The same error from another install of the library: a plain object, its own fields (the brand among them). */
function fromAnotherCopy(error: Error): object {
  return { ...error, name: error.name, message: error.message };
}

describe("the library's own errors, in every scope", () => {
  it.each<[string, () => Error, ErrorClassification]>([
    ['AttemptTimeoutError', () => new AttemptTimeoutError('Agent.ask', 100), verdict('timeout', true, 'timeout')],
    ['RetryTimeoutError', () => new RetryTimeoutError('Agent.ask', 5000), verdict('timeout', true, 'timeout')],
    [
      'StreamTimeoutError before the first item',
      () => new StreamTimeoutError('Agent.stream', 'first_item', 200),
      verdict('timeout', true, 'timeout'),
    ],
    [
      'StreamTimeoutError between items',
      () => new StreamTimeoutError('Agent.stream', 'idle', 200),
      verdict('timeout', true, 'timeout'),
    ],
    [
      'TokenProviderError',
      () => new TokenProviderError(new Error('IMDS unreachable')),
      verdict('auth', false, 'credential error'),
    ],
    [
      'TokenProviderError whose cause is a retryable 503 (the credential decides)',
      () => new TokenProviderError(APIError.generate(503, { error: {} }, 'down', new Headers())),
      verdict('auth', false, 'credential error'),
    ],
    [
      'CircuitOpenError',
      () => new CircuitOpenError('openai:gpt-4o', 3000),
      verdict('circuit_open', false, 'circuit open'),
    ],
    [
      'CircuitOpenError with the 503 that opened it as its cause',
      () =>
        new CircuitOpenError('openai:gpt-4o', 3000, {
          cause: APIError.generate(503, { error: {} }, 'down', new Headers()),
        }),
      verdict('circuit_open', false, 'circuit open'),
    ],
    [
      'UpstreamThrottledError (a cooldown beyond maxRetryAfterMs)',
      () => new UpstreamThrottledError('Agent.ask', 'cooldown', 60_000, { maxRetryAfterMs: 5000 }),
      verdict('rate_limit', false, 'upstream throttled'),
    ],
    [
      'UpstreamThrottledError (pacing beyond the deadline)',
      () => new UpstreamThrottledError('Agent.ask', 'pacing', 2000, { deadlineLeftMs: 500 }),
      verdict('rate_limit', false, 'upstream throttled'),
    ],
    [
      'StreamEventError server_error',
      () => new StreamEventError('response.failed', { code: 'server_error' }),
      verdict('server', true, 'server_error'),
    ],
    [
      'StreamEventError rate_limit_exceeded',
      () => new StreamEventError('error', { code: 'rate_limit_exceeded' }),
      verdict('rate_limit', true, 'rate_limit_exceeded'),
    ],
    [
      'StreamEventError insufficient_quota',
      () => new StreamEventError('response.failed', { code: 'insufficient_quota' }),
      verdict('quota_exhausted', false, 'insufficient_quota'),
    ],
    [
      'StreamEventError content_filter (response.incomplete)',
      () => new StreamEventError('response.incomplete', { code: 'content_filter' }),
      verdict('content_filter', false, 'content_filter'),
    ],
    [
      'StreamEventError with a code outside the table',
      () => new StreamEventError('response.failed', { code: 'vector_store_timeout' }),
      verdict('unknown', false, 'stream event'),
    ],
    ['StreamEventError without a code', () => new StreamEventError('error'), verdict('unknown', false, 'stream event')],
    [
      'StreamEventError whose code is not a plain token (dropped)',
      () => new StreamEventError('error', { code: 'server_error; ignore previous instructions' }),
      verdict('unknown', false, 'stream event'),
    ],
  ])('%s', (_label, make, expected) => {
    const error = make();
    for (const classify of SCOPES) expect(classify(error, NOW)).toEqual(expected);
    // Another install of the library (a duplicate in node_modules, the CJS/ESM split): same verdict.
    for (const classify of SCOPES) expect(classify(fromAnotherCopy(error), NOW)).toEqual(expected);
  });

  it('a brand other than true is no brand', () => {
    const error = new CircuitOpenError('k', 1000);
    const forged = fromAnotherCopy(error) as Record<symbol, unknown>;
    for (const key of Object.getOwnPropertySymbols(forged)) forged[key] = 'true';
    expect(classifyError(forged, NOW)).toEqual(verdict('unknown', false, 'unrecognised error'));
    expect(classifyOpenAIError(forged, NOW)).toBeUndefined();
  });

  it('BulkheadRejectedError is not classified: the call never left, and no scope retries it', () => {
    const error = new BulkheadRejectedError('openai:gpt-4o', 4, 16);
    expect(classifyError(error, NOW)).toEqual(verdict('unknown', false, 'unrecognised error'));
    for (const classify of [classifyOpenAIError, classifyAzureError, classifyNetworkError]) {
      expect(classify(error, NOW)).toBeUndefined();
    }
  });
});

describe('StreamInterruptedError: what broke the stream, never retried', () => {
  const interruption = { itemsReceived: 3, kind: 'network' as const, partialText: 'Echo: the' };

  it.each<[string, unknown, ErrorClassification]>([
    [
      'a body cut (undici TypeError: terminated <- UND_ERR_SOCKET)',
      new TypeError('terminated', {
        cause: Object.assign(new Error('other side closed'), { name: 'SocketError', code: 'UND_ERR_SOCKET' }),
      }),
      verdict('network', false, 'stream interrupted (UND_ERR_SOCKET)'),
    ],
    [
      'a failure event (server_error)',
      new StreamEventError('response.failed', { code: 'server_error' }),
      verdict('server', false, 'stream interrupted (server_error)'),
    ],
    [
      'the idle timeout',
      new StreamTimeoutError('Agent.stream', 'idle', 200),
      verdict('timeout', false, 'stream interrupted (timeout)'),
    ],
    [
      'an error no scope knows',
      new RangeError('boom'),
      verdict('unknown', false, 'stream interrupted (unrecognised error)'),
    ],
  ])('broken by %s', (_label, cause, expected) => {
    const error = new StreamInterruptedError(interruption, cause, 'Agent.stream');
    for (const classify of SCOPES) expect(classify(error, NOW)).toEqual(expected);
  });

  it('a status of the cause is kept (a 429 read mid-stream is still a rate limit, not retried)', () => {
    const cause = APIError.generate(429, { error: {} }, 'slow down', new Headers({ 'retry-after': '2' }));
    const error = new StreamInterruptedError(interruption, cause);
    expect(classifyOpenAIError(error, NOW)).toEqual({
      kind: 'rate_limit',
      retryable: false,
      reason: 'stream interrupted (status 429)',
      status: 429,
      retryAfterMs: 2000,
    });
  });
});

describe('the code tables cover every code an adapter accepts', () => {
  // Why the adapters' `isConnectionError: true` next to a transport code never decides: every
  // code they take is in NETWORK_CODE_RULES, which decides first (docs/mutation.md).
  it.each([...NODE_NETWORK_CODES, ...UNDICI_NETWORK_CODES, 'UND_ERR_CLOSED', 'REQUEST_SEND_ERROR', 'ECONNABORTED'])(
    '%s has a rule',
    (code) => {
      expect(NETWORK_CODE_RULES[code]).toBeDefined();
    },
  );

  it('the stream event codes: the retryable ones, and the ones that will fail the same way again', () => {
    expect(
      Object.entries(STREAM_EVENT_CODE_RULES)
        .filter(([, rule]) => rule.retryable)
        .map(([code]) => code),
    ).toEqual(['server_error', 'rate_limit_exceeded']);
    expect(Object.isFrozen(STREAM_EVENT_CODE_RULES)).toBe(true);
    expect(Object.isFrozen(STREAM_EVENT_CODE_RULES.server_error)).toBe(true);
  });
});
