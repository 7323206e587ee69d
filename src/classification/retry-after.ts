import { readHeader } from '../internal/headers';

/** A non-negative decimal number, integer or fraction; no sign, exponent, hex or units. */
const NON_NEGATIVE_DECIMAL = /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/;
/** HTTP-dates always name a month or weekday (RFC 9110 section 5.6.7), so require a letter. */
const HAS_LETTER = /[a-z]/i;

/**
 * How long the server asked us to wait, in milliseconds, or `undefined` if it did not say
 * (or said something unusable). Headers are tried in order, a garbage value falling through
 * to the next one:
 * 1. `retry-after-ms` (milliseconds; sent by OpenAI and Azure OpenAI, read first by openai-node),
 * 2. `x-ms-retry-after-ms` (milliseconds; Azure services),
 * 3. `retry-after` (seconds or an HTTP-date; RFC 9110 section 10.2.3).
 * Pure: `nowMs` is the clock for HTTP-dates. Never throws. No cap: capping is the caller's policy.
 *
 * @param headers - WHATWG `Headers`, Azure `HttpHeaders`, or a plain object of header values.
 *
 * @example
 * ```ts
 * parseRetryAfterMs(new Headers({ 'retry-after': '2' }), Date.now()); // 2000
 * parseRetryAfterMs({ 'retry-after-ms': '1500', 'retry-after': '2' }, Date.now()); // 1500
 * parseRetryAfterMs({}, Date.now()); // undefined
 * ```
 */
export function parseRetryAfterMs(headers: unknown, nowMs: number): number | undefined {
  return (
    parseMilliseconds(readHeader(headers, 'retry-after-ms')) ??
    parseMilliseconds(readHeader(headers, 'x-ms-retry-after-ms')) ??
    parseRetryAfterValue(readHeader(headers, 'retry-after'), nowMs)
  );
}

/**
 * Parses one `Retry-After` value: delay-seconds (a fraction is tolerated) or an HTTP-date,
 * which becomes `date - nowMs`, floored at 0 for dates in the past.
 * Negative, non-numeric, non-date or non-finite values give `undefined`.
 */
export function parseRetryAfterValue(value: string | undefined, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (NON_NEGATIVE_DECIMAL.test(value)) return finiteOrUndefined(Number(value) * 1000);
  if (!HAS_LETTER.test(value) || value.length > 64) return undefined;
  const dateMs = Date.parse(value);
  if (!Number.isFinite(dateMs) || !Number.isFinite(nowMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

function parseMilliseconds(value: string | undefined): number | undefined {
  if (typeof value !== 'string' || !NON_NEGATIVE_DECIMAL.test(value)) return undefined;
  return finiteOrUndefined(Number(value));
}

function finiteOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
