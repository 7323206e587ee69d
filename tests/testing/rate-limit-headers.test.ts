import { formatResetDuration, rateLimitHeaders } from '../../src/testing/rate-limit-headers';

describe('formatResetDuration (OpenAI / Go duration notation)', () => {
  test.each([
    [0, '0s'],
    [-5, '0s'],
    [NaN, '0s'],
    [0.2, '1ms'],
    [1, '1ms'],
    [20, '20ms'],
    [999, '999ms'],
    [999.5, '1s'],
    [1000, '1s'],
    [1500, '1.5s'],
    [8640, '8.64s'],
    [12_345, '12.345s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [361_500, '6m1.5s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
    [90_000_000, '25h0m0s'],
  ])('%p ms -> %s', (ms, expected) => {
    expect(formatResetDuration(ms)).toBe(expected);
  });
});

describe('rateLimitHeaders', () => {
  test('limit per minute, whole tokens left, time until full', () => {
    expect(
      rateLimitHeaders({ rps: 20, burst: 2 }, { allowed: true, remaining: 0.99, retryAfterMs: 0, msUntilFull: 51 }),
    ).toEqual({
      'x-ratelimit-limit-requests': '1200',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '51ms',
    });
  });

  test('fractional rps still gives an integer limit', () => {
    expect(
      rateLimitHeaders({ rps: 0.3, burst: 1 }, { allowed: true, remaining: 1, retryAfterMs: 0, msUntilFull: 0 })[
        'x-ratelimit-limit-requests'
      ],
    ).toBe('18');
  });
});
