import { readHeader } from '../../internal/headers';

// OpenAI's rate-limit headers: https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers

/** What a response says about the key's rate limits. Every field is optional: providers send subsets. */
export interface RateLimitInfo {
  /** `x-ratelimit-limit-requests`: requests allowed PER MINUTE (OpenAI and Azure OpenAI). */
  limitRequests?: number;
  /** `x-ratelimit-remaining-requests`: requests left before the limit is hit. */
  remainingRequests?: number;
  /** `x-ratelimit-reset-requests`, in ms: time until the request limit is back to its initial state. */
  resetRequestsMs?: number;
  /** `x-ratelimit-limit-tokens`: tokens allowed per minute. */
  limitTokens?: number;
  /** `x-ratelimit-remaining-tokens`: tokens left before the limit is hit. */
  remainingTokens?: number;
  /** `x-ratelimit-reset-tokens`, in ms: time until the token limit is back to its initial state. */
  resetTokensMs?: number;
}

/** Go's `time.Duration` units as OpenAI prints them (`6m0s`, `20ms`), largest first, in ms. */
const UNIT_MS: ReadonlyArray<readonly [string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
  ['us', 1e-3],
  ['µs', 1e-3],
  ['ns', 1e-6],
];
/** A non-negative decimal: `2`, `3.5`, `.5`; no sign, exponent or hex. */
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
/** One `<number><unit>` part; `ms`/`us`/`µs`/`ns` listed before `m` and `s` so they win. */
const PART = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)/y;
/** Longer values are not durations anyone sends; refusing them bounds the work on hostile input. */
const MAX_LENGTH = 64;

/**
 * Parses a reset duration as OpenAI and Azure OpenAI send it — Go duration notation such as
 * `6m0s`, `1s`, `20ms`, `1h2m3.5s`, `0.5s` — or a plain number of SECONDS (`"2"`), into ms.
 * Units must come largest first, each at most once (as Go prints them), which rejects
 * garbage like `5s5s` or `1s2h`. Negative, empty, unit-less-but-mixed or non-finite values
 * give `undefined`. Surrounding whitespace is ignored.
 */
export function parseDurationMs(text: string): number | undefined {
  if (typeof text !== 'string' || text.length > MAX_LENGTH) return undefined;
  const value = text.trim();
  if (value === '') return undefined;
  if (DECIMAL.test(value)) return finite(Number(value) * 1000);

  let total = 0;
  let position = 0;
  let lastUnitIndex = -1;
  while (position < value.length) {
    PART.lastIndex = position;
    const match = PART.exec(value);
    if (!match) return undefined;
    const unitIndex = UNIT_MS.findIndex(([unit]) => unit === match[2]);
    // `us` and `µs` are the same unit: compare by size, not by spelling.
    const size = UNIT_MS[unitIndex][1];
    if (lastUnitIndex >= 0 && size >= UNIT_MS[lastUnitIndex][1]) return undefined;
    lastUnitIndex = unitIndex;
    total += Number(match[1]) * size;
    position = PART.lastIndex;
  }
  // Round to the nanosecond: `12.345s` must give 12345, not 12345.000000000002.
  return finite(Math.round(total * 1e6) / 1e6);
}

/**
 * Reads OpenAI's `x-ratelimit-*` headers from a WHATWG `Headers`, anything with `.get(name)`
 * (Azure's `HttpHeaders`), a `Map` or a plain object, case-insensitively. A missing, negative
 * (Azure sends `-1` when it has no token limit to report) or unparsable value is left out;
 * `undefined` when none of the six headers is usable. Never throws.
 */
export function readRateLimitHeaders(headers: unknown): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  assign(info, 'limitRequests', count(readHeader(headers, 'x-ratelimit-limit-requests')));
  assign(info, 'remainingRequests', count(readHeader(headers, 'x-ratelimit-remaining-requests')));
  assign(info, 'resetRequestsMs', duration(readHeader(headers, 'x-ratelimit-reset-requests')));
  assign(info, 'limitTokens', count(readHeader(headers, 'x-ratelimit-limit-tokens')));
  assign(info, 'remainingTokens', count(readHeader(headers, 'x-ratelimit-remaining-tokens')));
  assign(info, 'resetTokensMs', duration(readHeader(headers, 'x-ratelimit-reset-tokens')));
  return Object.keys(info).length > 0 ? info : undefined;
}

function assign(info: RateLimitInfo, field: keyof RateLimitInfo, value: number | undefined): void {
  if (value !== undefined) info[field] = value;
}

function count(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed.length <= MAX_LENGTH && DECIMAL.test(trimmed) ? finite(Number(trimmed)) : undefined;
}

function duration(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDurationMs(value);
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
