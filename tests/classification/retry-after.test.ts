import { readHeader } from '../../src/internal/headers';
import { parseRetryAfterMs, parseRetryAfterValue } from '../../src/classification/retry-after';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const httpDate = (offsetMs: number): string => new Date(NOW + offsetMs).toUTCString();

describe('parseRetryAfterValue', () => {
  it.each<[string, string, number | undefined]>([
    ['integer seconds', '2', 2000],
    ['zero', '0', 0],
    ['fractional seconds', '1.5', 1500],
    ['leading dot', '.25', 250],
    ['surrounding whitespace', '  3 ', 3000],
    ['HTTP-date in the future', httpDate(5000), 5000],
    ['HTTP-date in the past (floored at 0)', httpDate(-60_000), 0],
    ['RFC 850 date', 'Wednesday, 01-Jan-25 00:00:10 GMT', 10_000],
    ['negative', '-5', undefined],
    ['explicit plus sign', '+5', undefined],
    ['exponent', '1e3', undefined],
    ['hex', '0x10', undefined],
    ['garbage', 'soon', undefined],
    ['empty', '', undefined],
    ['digits with units', '5s', undefined],
    ['absurdly long digit string (not finite)', '9'.repeat(400), undefined],
  ])('%s: %p', (_label, value, expected) => {
    expect(parseRetryAfterValue(value, NOW)).toBe(expected);
  });

  it('returns undefined when there is no value', () => {
    expect(parseRetryAfterValue(undefined, NOW)).toBeUndefined();
  });
});

describe('parseRetryAfterMs', () => {
  it.each<[string, Record<string, string>, number | undefined]>([
    ['retry-after-ms', { 'retry-after-ms': '150' }, 150],
    ['retry-after-ms float', { 'retry-after-ms': '12.5' }, 12.5],
    ['x-ms-retry-after-ms', { 'x-ms-retry-after-ms': '300' }, 300],
    ['retry-after seconds', { 'retry-after': '2' }, 2000],
    ['retry-after HTTP-date', { 'retry-after': httpDate(2000) }, 2000],
    [
      'retry-after-ms wins over the others',
      { 'retry-after-ms': '10', 'x-ms-retry-after-ms': '20', 'retry-after': '30' },
      10,
    ],
    ['x-ms-retry-after-ms wins over retry-after', { 'x-ms-retry-after-ms': '20', 'retry-after': '30' }, 20],
    ['garbage retry-after-ms falls through', { 'retry-after-ms': 'abc', 'retry-after': '1' }, 1000],
    ['negative retry-after-ms falls through', { 'retry-after-ms': '-100', 'x-ms-retry-after-ms': '40' }, 40],
    ['NaN falls through', { 'retry-after-ms': 'NaN', 'retry-after': '4' }, 4000],
    ['retry-after-ms of 0 is an answer', { 'retry-after-ms': '0', 'retry-after': '9' }, 0],
    ['only garbage', { 'retry-after-ms': 'x', 'retry-after': 'later' }, undefined],
    ['no headers at all', {}, undefined],
    ['mixed-case keys', { 'Retry-After-Ms': '70' }, 70],
  ])('%s', (_label, headers, expected) => {
    expect(parseRetryAfterMs(headers, NOW)).toBe(expected);
    expect(parseRetryAfterMs(new Headers(headers), NOW)).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'retry-after: 5'],
    ['a number', 5],
    [
      'an object with a throwing get',
      {
        get: () => {
          throw new Error('boom');
        },
      },
    ],
    [
      'an object with a throwing property',
      Object.defineProperty({}, 'retry-after', {
        enumerable: true,
        get: () => {
          throw new Error('boom');
        },
      }),
    ],
  ])('never throws for %s', (_label, headers) => {
    expect(() => parseRetryAfterMs(headers, NOW)).not.toThrow();
    expect(parseRetryAfterMs(headers, NOW)).toBeUndefined();
  });
});

describe('readHeader', () => {
  class AzureLikeHeaders {
    // The same contract as core-rest-pipeline's HttpHeaders: case-insensitive `get`, `undefined` when absent.
    private readonly map = new Map<string, string>();
    constructor(init: Record<string, string>) {
      for (const [k, v] of Object.entries(init)) this.map.set(k.toLowerCase(), v);
    }
    get(name: string): string | undefined {
      return this.map.get(name.toLowerCase());
    }
  }

  it.each<[string, unknown, string | undefined]>([
    ['WHATWG Headers', new Headers({ 'Retry-After': '5' }), '5'],
    ['Azure-style HttpHeaders', new AzureLikeHeaders({ 'Retry-After': '5' }), '5'],
    ['a Map with differently-cased keys', new Map([['Retry-After', '5']]), '5'],
    ['plain object, other case', { 'RETRY-AFTER': '5' }, '5'],
    ['plain object, array value (first wins)', { 'retry-after': ['5', '6'] }, '5'],
    ['plain object, number value', { 'retry-after': 5 }, '5'],
    ['absent', { other: '1' }, undefined],
    ['WHATWG Headers, absent', new Headers(), undefined],
    [
      'cyclic array value',
      (() => {
        const a: unknown[] = [];
        a.push(a);
        return { 'retry-after': a };
      })(),
      undefined,
    ],
  ])('%s', (_label, headers, expected) => {
    expect(readHeader(headers, 'retry-after')).toBe(expected);
  });
});
