/**
 * Fault specs: the strings that say what the fault server does to one request
 * (`'ok'`, `'429'`, `'429:1500'`, `'stream-cut:3'`, ...), and their parsed form.
 *
 * Specs are plain strings so that a script reads like a story (`['429', '503', 'ok']`)
 * and the CLI can take them from a comma-separated flag. They are validated when the
 * server starts (or a script is set), never at request time: a typo should fail the
 * test setup with a clear message, not surface as a puzzling 200.
 */

/**
 * One fault, as written in a script or a fault list. The known forms are listed for
 * editor completion; `(string & {})` keeps any string assignable because specs also
 * arrive from the command line and are checked at run time.
 */
export type FaultSpec =
  | 'ok'
  | '429'
  | `429:${number}`
  | '429-quota'
  | '500'
  | '502'
  | '503'
  | '504'
  | '401'
  | '400-content-filter'
  | '400-context-length'
  | 'reset'
  | 'hang'
  | `stream-cut:${number}`
  | 'malformed-json'
  | `slow:${number}`
  | `response-failed:${number}`
  | `response-failed:${number}:${string}`
  | `error-event:${number}`
  | 'incomplete:max_output_tokens'
  | 'incomplete:content_filter'
  | 'quota-stream'
  | `stall-first:${number}`
  | `stall:${number}:${number}`
  | (string & {});

/** What the server does, with the spec it came from (recorded as `RecordedRequest.fault`). */
export type Fault =
  | { kind: 'ok'; spec: string }
  | { kind: 'rate-limit'; spec: string; retryAfterMs: number }
  | { kind: 'quota'; spec: string }
  | { kind: 'server-error'; spec: string; status: 500 | 502 | 503 | 504 }
  | { kind: 'auth'; spec: string }
  | { kind: 'content-filter'; spec: string }
  | { kind: 'context-length'; spec: string }
  | { kind: 'reset'; spec: string }
  | { kind: 'hang'; spec: string }
  | { kind: 'stream-cut'; spec: string; chunks: number }
  | { kind: 'malformed-json'; spec: string }
  | { kind: 'slow'; spec: string; delayMs: number }
  | { kind: 'response-failed'; spec: string; chunks: number; code: string }
  | { kind: 'error-event'; spec: string; chunks: number }
  | { kind: 'incomplete'; spec: string; reason: IncompleteReason }
  | { kind: 'quota-stream'; spec: string }
  | { kind: 'stall-first'; spec: string; delayMs: number }
  | { kind: 'stall'; spec: string; chunks: number; delayMs: number };

/** Why an `incomplete:<reason>` response stopped, as the Responses API's `incomplete_details.reason` says. */
export type IncompleteReason = 'max_output_tokens' | 'content_filter';

/** Every accepted form, in the order error messages and `--help` list them. */
export const FAULT_SPEC_FORMS: readonly string[] = [
  'ok',
  '429',
  '429:<ms>',
  '429-quota',
  '500',
  '502',
  '503',
  '504',
  '401',
  '400-content-filter',
  '400-context-length',
  'reset',
  'hang',
  'stream-cut:<n>',
  'malformed-json',
  'slow:<ms>',
  'response-failed:<n>[:<code>]',
  'error-event:<n>',
  'incomplete:max_output_tokens',
  'incomplete:content_filter',
  'quota-stream',
  'stall-first:<ms>',
  'stall:<n>:<ms>',
];

/** The wait a bare `'429'` asks for: short, so tests that honour it stay fast. */
export const DEFAULT_RETRY_AFTER_MS = 200;

/** The fault list of random mode when none is given. */
export const DEFAULT_RANDOM_FAULTS: readonly FaultSpec[] = ['429', '500', '503', 'reset'];

/**
 * Upper bound of `<ms>`: a day. Large enough to test "the server asked for an hour",
 * and below setTimeout's 2^31-1 ms limit, past which Node fires the timer at once.
 */
export const MAX_FAULT_MS = 86_400_000;

/** Upper bound of `<n>` (content chunks before a fault: `stream-cut:<n>`, `stall:<n>:<ms>`, ...). */
export const MAX_STREAM_CUT_CHUNKS = 10_000;

/** The code of a `response-failed:<n>` written without one. */
export const DEFAULT_FAILED_CODE = 'server_error';

const SIMPLE: Record<string, (spec: string) => Fault> = {
  ok: (spec) => ({ kind: 'ok', spec }),
  '429': (spec) => ({ kind: 'rate-limit', spec, retryAfterMs: DEFAULT_RETRY_AFTER_MS }),
  '429-quota': (spec) => ({ kind: 'quota', spec }),
  '500': (spec) => ({ kind: 'server-error', spec, status: 500 }),
  '502': (spec) => ({ kind: 'server-error', spec, status: 502 }),
  '503': (spec) => ({ kind: 'server-error', spec, status: 503 }),
  '504': (spec) => ({ kind: 'server-error', spec, status: 504 }),
  '401': (spec) => ({ kind: 'auth', spec }),
  '400-content-filter': (spec) => ({ kind: 'content-filter', spec }),
  '400-context-length': (spec) => ({ kind: 'context-length', spec }),
  reset: (spec) => ({ kind: 'reset', spec }),
  hang: (spec) => ({ kind: 'hang', spec }),
  'malformed-json': (spec) => ({ kind: 'malformed-json', spec }),
  'quota-stream': (spec) => ({ kind: 'quota-stream', spec }),
  'incomplete:max_output_tokens': (spec) => ({ kind: 'incomplete', spec, reason: 'max_output_tokens' }),
  'incomplete:content_filter': (spec) => ({ kind: 'incomplete', spec, reason: 'content_filter' }),
};

const WITH_NUMBER: Record<string, { max: number; make: (spec: string, value: number) => Fault }> = {
  '429': { max: MAX_FAULT_MS, make: (spec, retryAfterMs) => ({ kind: 'rate-limit', spec, retryAfterMs }) },
  'stream-cut': { max: MAX_STREAM_CUT_CHUNKS, make: (spec, chunks) => ({ kind: 'stream-cut', spec, chunks }) },
  slow: { max: MAX_FAULT_MS, make: (spec, delayMs) => ({ kind: 'slow', spec, delayMs }) },
  'response-failed': {
    max: MAX_STREAM_CUT_CHUNKS,
    make: (spec, chunks) => ({ kind: 'response-failed', spec, chunks, code: DEFAULT_FAILED_CODE }),
  },
  'error-event': { max: MAX_STREAM_CUT_CHUNKS, make: (spec, chunks) => ({ kind: 'error-event', spec, chunks }) },
  'stall-first': { max: MAX_FAULT_MS, make: (spec, delayMs) => ({ kind: 'stall-first', spec, delayMs }) },
};

/** `response-failed:<n>:<code>`: a code of lower-case letters and underscores, at most 64 of them. */
const FAILED_WITH_CODE = /^response-failed:(\d{1,10}):([a-z_]{1,64})$/;
/** `stall:<n>:<ms>`. */
const STALL = /^stall:(\d{1,10}):(\d{1,10})$/;

/**
 * Parses one spec; `undefined` when it is not a valid one. Exact match only (no trimming,
 * no case folding): the CLI trims what it splits, the library takes specs as written.
 * Numbers are non-negative decimal integers (`slow:1.5`, `429:-1`, `429:1e3` are rejected).
 */
export function parseFaultSpec(spec: unknown): Fault | undefined {
  if (typeof spec !== 'string') return undefined;
  if (Object.prototype.hasOwnProperty.call(SIMPLE, spec)) return SIMPLE[spec](spec);
  const failed = FAILED_WITH_CODE.exec(spec);
  if (failed) {
    const chunks = Number(failed[1]);
    return chunks <= MAX_STREAM_CUT_CHUNKS ? { kind: 'response-failed', spec, chunks, code: failed[2] } : undefined;
  }
  const stall = STALL.exec(spec);
  if (stall) {
    const [chunks, delayMs] = [Number(stall[1]), Number(stall[2])];
    return chunks <= MAX_STREAM_CUT_CHUNKS && delayMs <= MAX_FAULT_MS
      ? { kind: 'stall', spec, chunks, delayMs }
      : undefined;
  }
  const match = /^([a-z0-9-]+):(\d{1,10})$/.exec(spec);
  if (!match || !Object.prototype.hasOwnProperty.call(WITH_NUMBER, match[1])) return undefined;
  const { max, make } = WITH_NUMBER[match[1]];
  const value = Number(match[2]);
  return value <= max ? make(spec, value) : undefined;
}

/**
 * Parses a list of specs, or throws an Error that names the bad entry (`where[i]`) and
 * lists the valid forms.
 */
export function parseFaultSpecs(specs: unknown, where: string): Fault[] {
  if (!Array.isArray(specs)) {
    throw new TypeError(`${where} must be an array of fault specs, got ${describe(specs)}`);
  }
  return specs.map((spec, index) => {
    const fault = parseFaultSpec(spec);
    if (!fault) throw new Error(invalidSpecMessage(spec, `${where}[${index}]`));
    return fault;
  });
}

/** The message of a bad spec: what it was, where it was, and every valid form. */
export function invalidSpecMessage(spec: unknown, where: string): string {
  return (
    `Invalid fault spec ${describe(spec)} in ${where}. ` +
    `Valid specs: ${FAULT_SPEC_FORMS.join(', ')} ` +
    `(<ms> up to ${MAX_FAULT_MS}, <n> up to ${MAX_STREAM_CUT_CHUNKS}, <code> lower-case letters and underscores).`
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
