// Retry-After forms whose handling a mutation once changed unnoticed (npm run test:mutation -- retry).
import { parseRetryAfterMs, parseRetryAfterValue } from '../../src/classification/retry-after';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const IN_10_S = 'Wed, 01 Jan 2025 00:00:10 GMT';

describe('parseRetryAfterValue: the forms', () => {
  it.each<[string, string, number | undefined]>([
    ['a fraction with two digits', '1.25', 1250],
    ['a fraction with three digits', '0.125', 125],
    ['a trailing dot', '2.', 2000],
    ['a dot alone', '.', undefined],
    ['two dots', '1.2.3', undefined],
    ['digits after text', 'a1', undefined],
    ['text after digits and whitespace', '1 a', undefined],
    ['tabs around', '\t4\t', 4000],
    ['an HTTP-date padded to 64 characters (the cap)', IN_10_S.padEnd(64, ' '), 10_000],
    ['an HTTP-date padded to 65 characters (over the cap)', IN_10_S.padEnd(65, ' '), undefined],
    ['an upper-case HTTP-date', IN_10_S.toUpperCase(), 10_000],
    ['a date without a letter (ISO) is not an HTTP-date', '2025-01-01 00:00:10', undefined],
    ['a date of exactly now', 'Wed, 01 Jan 2025 00:00:00 GMT', 0],
    ['letters that are no date', 'Wed, 99 Foo', undefined],
  ])('%s: %p', (_label, value, expected) => {
    expect(parseRetryAfterValue(value, NOW)).toBe(expected);
  });

  it('an HTTP-date needs a finite clock', () => {
    expect(parseRetryAfterValue(IN_10_S, Number.NaN)).toBeUndefined();
    expect(parseRetryAfterValue(IN_10_S, Infinity)).toBeUndefined();
    expect(parseRetryAfterValue('3', Number.NaN)).toBe(3000);
  });
});

describe('parseRetryAfterMs: the millisecond headers', () => {
  it.each<[string, Record<string, string>, number | undefined]>([
    ['retry-after-ms with a two-digit fraction', { 'retry-after-ms': '1.25' }, 1.25],
    ['x-ms-retry-after-ms as an HTTP-date is garbage', { 'x-ms-retry-after-ms': IN_10_S }, undefined],
    ['retry-after-ms as an HTTP-date falls through', { 'retry-after-ms': IN_10_S, 'retry-after': '1' }, 1000],
    [
      'retry-after-ms too large to be finite falls through',
      { 'retry-after-ms': '9'.repeat(400), 'retry-after': '2' },
      2000,
    ],
    ['x-ms-retry-after-ms garbage falls through', { 'x-ms-retry-after-ms': 'soon', 'retry-after': '3' }, 3000],
  ])('%s', (_label, headers, expected) => {
    expect(parseRetryAfterMs(headers, NOW)).toBe(expected);
  });
});
