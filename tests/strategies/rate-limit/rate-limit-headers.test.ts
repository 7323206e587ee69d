import fc from 'fast-check';
import { parseDurationMs, readRateLimitHeaders } from '../../../src/strategies/rate-limit/rate-limit-headers';
import { formatResetDuration } from '../../../src/testing/rate-limit-headers';

// Header formats: https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers

describe('parseDurationMs', () => {
  it.each<[string, number]>([
    ['6m0s', 360_000],
    ['1s', 1000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['250ms', 250],
    ['0s', 0],
    ['12ms', 12],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['12.345s', 12_345],
    ['1s500ms', 1500],
    ['2m30s', 150_000],
    ['500us', 0.5],
    ['1µs', 0.001],
    ['1500ns', 0.0015],
    ['  1s ', 1000],
    // A plain number is seconds, like Retry-After.
    ['2', 2000],
    ['0', 0],
    ['1.25', 1250],
    ['.25', 250],
    ['.25s', 250],
    // At most 64 characters, surrounding whitespace included.
    [`${' '.repeat(62)}1s`, 1000],
  ])('%p is %p ms', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['negative duration', '-1s'],
    ['negative number', '-2'],
    ['plus sign', '+1s'],
    ['words', 'soon'],
    ['unknown unit', '5x'],
    ['unit without number', 's'],
    ['number then garbage', '1s!'],
    ['repeated unit', '1s1s'],
    ['units out of order', '1s2h'],
    ['us and µs together', '1us1µs'],
    ['space inside', '1 s'],
    ['exponent', '1e3'],
    ['hex', '0x10'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['absurdly long', `${'9'.repeat(400)}s`],
    ['65 characters, even mostly blank', `${' '.repeat(63)}1s`],
    ['hours twice', '1h1h'],
    ['hours after minutes', '1m1h'],
  ])('rejects %s', (_label, text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('rejects non-strings without throwing', () => {
    expect(parseDurationMs(undefined as unknown as string)).toBeUndefined();
    expect(parseDurationMs(5 as unknown as string)).toBeUndefined();
  });

  it('reads back every duration the fault server formats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000_000 }), (ms) => {
        expect(parseDurationMs(formatResetDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('readRateLimitHeaders', () => {
  const openAiDocsExample = {
    'x-ratelimit-limit-requests': '60',
    'x-ratelimit-limit-tokens': '150000',
    'x-ratelimit-remaining-requests': '59',
    'x-ratelimit-remaining-tokens': '149984',
    'x-ratelimit-reset-requests': '1s',
    'x-ratelimit-reset-tokens': '6m0s',
  };
  const openAiDocsInfo = {
    limitRequests: 60,
    remainingRequests: 59,
    resetRequestsMs: 1000,
    limitTokens: 150_000,
    remainingTokens: 149_984,
    resetTokensMs: 360_000,
  };

  it.each<[string, unknown, ReturnType<typeof readRateLimitHeaders>]>([
    ["OpenAI's documented example (plain object)", openAiDocsExample, openAiDocsInfo],
    ['the same in a WHATWG Headers', new Headers(openAiDocsExample), openAiDocsInfo],
    ['the same in a Map', new Map(Object.entries(openAiDocsExample)), openAiDocsInfo],
    [
      'anything with .get (Azure HttpHeaders)',
      { get: (name: string) => (openAiDocsExample as Record<string, string>)[name] },
      openAiDocsInfo,
    ],
    [
      'mixed-case keys in a plain object',
      { 'X-RateLimit-Limit-Requests': '5000', 'X-RATELIMIT-RESET-REQUESTS': '12ms' },
      { limitRequests: 5000, resetRequestsMs: 12 },
    ],
    [
      'a high-tier key (per-minute limits, ms resets)',
      {
        'x-ratelimit-limit-requests': '5000',
        'x-ratelimit-limit-tokens': '160000',
        'x-ratelimit-remaining-requests': '4999',
        'x-ratelimit-remaining-tokens': '159976',
        'x-ratelimit-reset-requests': '12ms',
        'x-ratelimit-reset-tokens': '9ms',
      },
      {
        limitRequests: 5000,
        remainingRequests: 4999,
        resetRequestsMs: 12,
        limitTokens: 160_000,
        remainingTokens: 159_976,
        resetTokensMs: 9,
      },
    ],
    [
      'the fault server rate limit (200 req/s = 12000 per minute)',
      {
        'x-ratelimit-limit-requests': '12000',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '50ms',
      },
      { limitRequests: 12_000, remainingRequests: 0, resetRequestsMs: 50 },
    ],
    [
      'counts with surrounding blanks (a plain object keeps them)',
      { 'x-ratelimit-limit-requests': ' 600 ', 'x-ratelimit-remaining-requests': '\t599' },
      { limitRequests: 600, remainingRequests: 599 },
    ],
    [
      'a count of 64 digits is read; one of 65 is not',
      { 'x-ratelimit-limit-requests': '1'.repeat(64), 'x-ratelimit-remaining-requests': '1'.repeat(65) },
      { limitRequests: Number('1'.repeat(64)) },
    ],
    ['a count written .5 is a decimal', { 'x-ratelimit-remaining-requests': '.55' }, { remainingRequests: 0.55 }],
    [
      "Azure's -1 for token limits it does not report",
      {
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '99',
        'x-ratelimit-limit-tokens': '-1',
        'x-ratelimit-remaining-tokens': '-1',
        'x-ratelimit-reset-tokens': '0',
      },
      { limitRequests: 100, remainingRequests: 99, resetTokensMs: 0 },
    ],
    ['a Node array value (first one wins)', { 'x-ratelimit-limit-requests': ['60', '70'] }, { limitRequests: 60 }],
    ['a number value', { 'x-ratelimit-remaining-requests': 7 }, { remainingRequests: 7 }],
    [
      'garbage values are left out',
      {
        'x-ratelimit-limit-requests': 'lots',
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-reset-requests': 'later',
      },
      { remainingRequests: 3 },
    ],
    ['only garbage', { 'x-ratelimit-limit-requests': 'NaN', 'x-ratelimit-reset-requests': '-1s' }, undefined],
    ['no rate-limit headers', { 'content-type': 'application/json' }, undefined],
    ['empty Headers', new Headers(), undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
    ['a string', 'x-ratelimit-limit-requests: 60', undefined],
    [
      'a .get that throws',
      {
        get: () => {
          throw new Error('boom');
        },
      },
      undefined,
    ],
  ])('%s', (_label, headers, expected) => {
    expect(readRateLimitHeaders(headers)).toEqual(expected);
  });
});
