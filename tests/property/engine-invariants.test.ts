/**
 * Property-based check of the retry engine's invariants (issue #7), over random valid
 * configs and random fault sequences, on jest's fake clock (timers and Date): no test
 * waits for real time. Each case starts from resetResilience(), with a seeded random()
 * for jitter, so a failure replays from fast-check's seed and path.
 *
 * Invariants, for every logical call:
 * - it settles (resolves or rejects) once every timer has run: nothing is lost or hangs;
 * - the attempts the fault source saw never exceed maxAttempts;
 * - a non-retryable fault (400, 401, 403, 404, 422, insufficient_quota) is tried exactly
 *   once: no attempt follows it;
 * - the attempts the fault source saw equal the attempts the library reports, through its
 *   trace events (supervised path) or its log lines (lean path);
 * - no Retry-After above maxRetryAfterMs is waited for: such a 429 ends the call, and a
 *   wait chosen because of a Retry-After is at most that value plus its 10% spread;
 * - a call that ends in failure rejects with the original error of its last attempt (or a
 *   timeout error when that attempt hung).
 *
 * One narrow exception is allowed, and checked as such (see REFUSED_AT_DEADLINE below):
 * when a call, about to start attempt N, finds a rate-limit cooldown (another call's 429)
 * that outlasts its totalTimeoutMs, it ends without making attempt N, yet the engine
 * reports attempt N as failed (`retry_attempt_failed` / `retry_not_retryable` with
 * reason `deadline`, and "Giving up ... at attempt N/M" in the log), with no
 * `retry_attempt_start` for it. With N = 1 the call made no attempt at all.
 */
import fc from 'fast-check';
import { APIConnectionTimeoutError, APIError } from 'openai';
import {
  configureResilience,
  getRetryContext,
  JITTER_MODES,
  parseRetryAfterMs,
  isUpstreamThrottledError,
  resetResilience,
  RetryConfig,
  RetryConfigFields,
  RetryNetwork,
  UpstreamThrottledError,
  TRACE_EVENTS,
  type ResilienceLogger,
} from '../../src';
import { mulberry32 } from '../../src/testing/mulberry32';
import { connectionReset } from '../support/errors';
import { numberIn } from '../support/arbitraries';

// ---------------------------------------------------------------------------------------
// Faults

type Fault =
  | { kind: 'ok' }
  | { kind: 'status'; status: 408 | 409 | 500 | 502 | 503 | 504 }
  | { kind: 'reset' }
  | { kind: 'timeout' }
  /** Never answers; ends when the attempt's signal aborts (attemptTimeoutMs or the deadline). */
  | { kind: 'hang' }
  | { kind: 'rate-limit'; waitMs: number; header: 'retry-after-ms' | 'retry-after' | 'http-date' }
  | { kind: 'fatal'; status: 400 | 401 | 403 | 404 | 422 }
  | { kind: 'quota' };

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Fault>({ kind: 'ok' }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(408, 409, 500, 502, 503, 504).map((status): Fault => ({ kind: 'status', status })),
  },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'reset' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'timeout' }) },
  { weight: 2, arbitrary: fc.constant<Fault>({ kind: 'hang' }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        // Mostly below a typical cap, sometimes far above it.
        waitMs: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 240_000 })),
        header: fc.constantFrom('retry-after-ms', 'retry-after', 'http-date'),
      })
      .map((r): Fault => ({ kind: 'rate-limit', ...r }) as Fault),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(400, 401, 403, 404, 422).map((status): Fault => ({ kind: 'fatal', status })),
  },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'quota' }) },
);

const RETRYABLE_KINDS: ReadonlySet<Fault['kind']> = new Set(['status', 'reset', 'timeout', 'hang', 'rate-limit']);

function headersFor(fault: Extract<Fault, { kind: 'rate-limit' }>): Headers {
  switch (fault.header) {
    case 'retry-after-ms':
      return new Headers({ 'retry-after-ms': String(fault.waitMs) });
    case 'retry-after':
      return new Headers({ 'retry-after': String(fault.waitMs / 1000) });
    default:
      return new Headers({ 'retry-after': new Date(Date.now() + fault.waitMs).toUTCString() });
  }
}

/** The error a fault throws: the real openai SDK's classes, or a Node socket error. */
function errorFor(fault: Fault): unknown {
  switch (fault.kind) {
    case 'status':
      return APIError.generate(fault.status, { error: { message: 'upstream trouble' } }, undefined, new Headers());
    case 'reset':
      return connectionReset();
    case 'timeout':
      return new APIConnectionTimeoutError();
    case 'rate-limit':
      return APIError.generate(
        429,
        { error: { message: 'slow down', type: 'requests' } },
        undefined,
        headersFor(fault),
      );
    case 'fatal':
      return APIError.generate(fault.status, { error: { message: 'no' } }, undefined, new Headers());
    case 'quota':
      return APIError.generate(
        429,
        { error: { message: 'quota', code: 'insufficient_quota', type: 'insufficient_quota' } },
        undefined,
        new Headers(),
      );
    default:
      throw new Error(`no error for ${fault.kind}`);
  }
}

interface SeenAttempt {
  fault: Fault;
  startedAt: number;
  endedAt?: number;
  error?: unknown;
  /** For a 429: the wait the server asked for, as of the moment it answered. */
  requestedMs?: number;
}

/** Plays one call's fault sequence, one fault per attempt ('ok' once the sequence is used up). */
class FaultSource {
  readonly attempts: SeenAttempt[] = [];

  constructor(private readonly faults: readonly Fault[]) {}

  attempt(signal: AbortSignal | undefined): Promise<string> {
    const fault = this.faults[this.attempts.length] ?? { kind: 'ok' };
    const seen: SeenAttempt = { fault, startedAt: Date.now() };
    this.attempts.push(seen);
    if (fault.kind === 'hang') {
      return new Promise((_, reject) => {
        signal?.addEventListener(
          'abort',
          () => {
            seen.endedAt = Date.now();
            reject(signal.reason);
          },
          { once: true },
        );
      });
    }
    seen.endedAt = Date.now();
    if (fault.kind === 'ok') return Promise.resolve(`answer ${this.attempts.length}`);
    const error = errorFor(fault);
    seen.error = error;
    if (fault.kind === 'rate-limit') seen.requestedMs = parseRetryAfterMs((error as APIError).headers, Date.now());
    return Promise.reject(error);
  }
}

// ---------------------------------------------------------------------------------------
// What the library reports

interface LogLine {
  level: string;
  text: string;
  meta: Record<string, unknown>;
}

function memoryLogger(lines: LogLine[]): ResilienceLogger {
  const at =
    (level: string) =>
    (text: string, meta: Record<string, unknown> = {}) => {
      lines.push({ level, text, meta });
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } as ResilienceLogger;
}

interface TraceRecord {
  event: string;
  details: Record<string, unknown>;
}

/** Supervised path: a tracer and a logger per instance (per call), so events name their call. */
class TracedAgent {
  readonly events: TraceRecord[] = [];
  readonly lines: LogLine[] = [];
  readonly tracer = {
    logEvent: (event: string, details: Record<string, unknown>) => void this.events.push({ event, details }),
  };
  readonly logger = memoryLogger(this.lines);

  constructor(
    readonly retryConfig: RetryConfig,
    readonly source: FaultSource,
  ) {}

  @RetryNetwork({ observers: (agent: TracedAgent) => ({ tracer: agent.tracer, logger: agent.logger }) })
  async complete(): Promise<string> {
    return this.source.attempt(getRetryContext()?.signal);
  }
}

/** Lean path when the config has no timeouts: no tracer, the process logger (set per case). */
class PlainAgent {
  constructor(
    readonly retryConfig: RetryConfig,
    readonly source: FaultSource,
  ) {}

  @RetryNetwork()
  async complete(): Promise<string> {
    return this.source.attempt(getRetryContext()?.signal);
  }
}

// ---------------------------------------------------------------------------------------
// Configs

type Config = RetryConfigFields;

/** Valid configs; timeouts optional and of a size that meets the faults' delays. */
const configArb: fc.Arbitrary<Config> = numberIn(100, 60_000).chain((baseDelayMs) =>
  fc.record(
    {
      maxAttempts: fc.integer({ min: 1, max: 10 }),
      baseDelayMs: fc.constant(baseDelayMs),
      maxDelayMs: numberIn(Math.ceil(baseDelayMs), 300_000),
      exponentialBase: numberIn(1, 10),
      jitter: fc.constantFrom(...JITTER_MODES),
      respectRetryAfter: fc.boolean(),
      maxRetryAfterMs: numberIn(0, 180_000),
      attemptTimeoutMs: numberIn(1, 120_000),
      totalTimeoutMs: numberIn(1, 900_000),
      retryBudget: fc.constant(false),
    },
    {
      requiredKeys: [
        'maxAttempts',
        'baseDelayMs',
        'maxDelayMs',
        'exponentialBase',
        'jitter',
        'respectRetryAfter',
        'maxRetryAfterMs',
      ],
    },
  ),
);

/** A call whose config has no timer would wait for a hanging attempt forever, by design. */
function playable(faults: Fault[], config: Config): Fault[] {
  const timed = config.attemptTimeoutMs !== undefined || config.totalTimeoutMs !== undefined;
  return timed ? faults : faults.map((fault) => (fault.kind === 'hang' ? { kind: 'timeout' } : fault));
}

const caseArb = fc.record({
  config: configArb,
  calls: fc.array(fc.array(faultArb, { maxLength: 12 }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

// ---------------------------------------------------------------------------------------
// Checks shared by both paths

interface Outcome {
  settled: boolean;
  ok?: string;
  error?: unknown;
}

function watch(promise: Promise<string>): Outcome {
  const outcome: Outcome = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { settled: true, ok: value }),
    (error: unknown) => Object.assign(outcome, { settled: true, error }),
  );
  return outcome;
}

/** Runs every timer (sleeps, attempt timeouts, deadlines) on the fake clock until none is left. */
async function drain(): Promise<void> {
  await jest.runAllTimersAsync();
  await jest.runAllTimersAsync();
}

/**
 * A call the engine ended before attempt `seen + 1`, between attempts: waiting out the key's
 * cooldown would have overrun totalTimeoutMs, or the cooldown (another call's Retry-After,
 * which the key keeps even beyond this call's cap) was longer than maxRetryAfterMs. Its one
 * closing report names the last attempt made, `seen` (0 when none was), and no attempt of
 * its own is reported failed. (Found by this suite: the engine used to report the attempt
 * it never made.)
 */
function refusedBeforeAttempt(config: Config, seen: number, lines: LogLine[]): boolean {
  const closing = lines.filter((line) => !line.text.startsWith('Retrying'));
  const announcedRetries = lines.length - closing.length;
  return (
    seen < config.maxAttempts &&
    // Every attempt made was followed by an announced retry: the next one was never made.
    announcedRetries === seen &&
    closing.length === 1 &&
    closing[0].meta.attempt === seen &&
    ((config.totalTimeoutMs !== undefined && /total timeout of .* leaves no room/.test(closing[0].text)) ||
      /not retried: retry_after_exceeds_max/.test(closing[0].text))
  );
}

function checkCall(config: Config, source: FaultSource, outcome: Outcome, concurrent: boolean): void {
  const seen = source.attempts;
  expect(outcome.settled).toBe(true);
  expect(seen.length).toBeLessThanOrEqual(config.maxAttempts);
  if (seen.length === 0) {
    // Only a cooldown outlasting the deadline or the cap ends a call before its first attempt:
    // nothing was sent, and the error says the upstream asked to wait.
    expect(isUpstreamThrottledError(outcome.error)).toBe(true);
    expect((outcome.error as UpstreamThrottledError).reason).toBe('cooldown');
    return;
  }

  for (let i = 0; i < seen.length - 1; i++) {
    const { fault, requestedMs, endedAt } = seen[i];
    // Only a retryable failure is followed by another attempt: a 400/401/quota is tried once.
    expect(RETRYABLE_KINDS.has(fault.kind)).toBe(true);
    if (fault.kind === 'rate-limit' && config.respectRetryAfter) {
      // A Retry-After above the cap ends the call instead of being waited for.
      expect(requestedMs).toBeLessThanOrEqual(config.maxRetryAfterMs);
    }
    // The wait between two attempts: the larger of the backoff (<= maxDelayMs) and an obeyed
    // Retry-After, plus up to 10% of that Retry-After; with other calls about, also up to
    // another call's cooldown (its Retry-After, capped the same way, +10%).
    const obeyed = config.respectRetryAfter && requestedMs !== undefined ? requestedMs : 0;
    const othersCooldown = concurrent && config.respectRetryAfter ? 1.1 * config.maxRetryAfterMs : 0;
    const bound = Math.max(config.maxDelayMs, obeyed) + 0.1 * obeyed + othersCooldown + 2;
    expect(seen[i + 1].startedAt - endedAt!).toBeLessThanOrEqual(bound);
  }

  const last = seen[seen.length - 1];
  if (outcome.ok !== undefined) {
    expect(last.fault.kind).toBe('ok');
    expect(outcome.ok).toBe(`answer ${seen.length}`);
  } else if (last.fault.kind === 'hang') {
    // Abandoned by its attempt timeout or by the deadline: a timeout error, or the deadline
    // ends the call with the last real error.
    const name = (outcome.error as Error).constructor.name;
    const earlier = seen.slice(0, -1).map((attempt) => attempt.error);
    expect(['AttemptTimeoutError', 'RetryTimeoutError'].includes(name) || earlier.includes(outcome.error)).toBe(true);
  } else {
    // The original error of the last attempt, untouched.
    expect(outcome.error).toBe(last.error);
  }
}

/** What the trace events say about one call must match what its fault source saw. */
function checkTrace(config: Config, agent: TracedAgent, outcome: Outcome): void {
  const seen = agent.source.attempts;
  const refused = outcome.ok === undefined && refusedBeforeAttempt(config, seen.length, agent.lines);
  const of = (event: string) => agent.events.filter((record) => record.event === event).map((record) => record.details);
  const starts = of(TRACE_EVENTS.attemptStart);
  expect(starts.map((details) => details.attempt)).toEqual(seen.map((_, i) => i + 1));
  expect(starts.every((details) => details.max_attempts === config.maxAttempts)).toBe(true);

  const backoffs = of(TRACE_EVENTS.backoffDelay);
  // Every announced retry was made, but for the one a deadline refusal cut short.
  expect(backoffs.length).toBe(refused ? seen.length : seen.length - 1);
  backoffs.forEach((details, i) => {
    expect(details.attempt).toBe(i + 1);
    const delayMs = (details.delay_seconds as number) * 1000;
    const requested = seen[i].requestedMs;
    if (details.source === 'retry-after') {
      // Obeyed: never above the cap, and at most the value asked for plus its 10% spread.
      expect(requested).toBeDefined();
      expect(config.respectRetryAfter).toBe(true);
      expect(requested!).toBeLessThanOrEqual(config.maxRetryAfterMs);
      expect(delayMs).toBeLessThanOrEqual(1.1 * requested! + 1);
    } else {
      // The backoff, plus the spread of a shorter Retry-After when there was one.
      const spread = config.respectRetryAfter && requested !== undefined ? 0.1 * requested : 0;
      expect(delayMs).toBeLessThanOrEqual(config.maxDelayMs + spread + 1);
    }
  });

  const failed = of(TRACE_EVENTS.attemptFailed);
  const successes = of(TRACE_EVENTS.success);
  const exhausted = of(TRACE_EVENTS.maxRetriesExceeded);
  const notRetried = of(TRACE_EVENTS.notRetryable);
  if (outcome.ok !== undefined) {
    expect(successes).toEqual([expect.objectContaining({ attempt: seen.length })]);
    expect(failed.length).toBe(seen.length - 1);
    expect(exhausted.length + notRetried.length).toBe(0);
  } else {
    expect(successes.length).toBe(0);
    // Exactly one final event, naming the last attempt made.
    expect(exhausted.length + notRetried.length).toBe(1);
    if (exhausted.length === 1) expect(seen.length).toBe(config.maxAttempts);
    if (refused) {
      expect(notRetried).toEqual([
        expect.objectContaining({
          attempt: seen.length,
          reason: expect.stringMatching(/^(deadline|retry_after_exceeds_max)$/),
        }),
      ]);
      expect(failed.map((details) => details.attempt)).toEqual(seen.map((_, i) => i + 1));
      return;
    }
    if (notRetried.length === 1) expect(notRetried[0].attempt).toBe(seen.length);
    expect(failed.map((details) => details.attempt)).toEqual(seen.map((_, i) => i + 1));
  }
}

/** What the log lines say about one call (lean path: the only report there is). */
function checkLogs(config: Config, lines: LogLine[], source: FaultSource, outcome: Outcome): void {
  const seen = source.attempts;
  const refused = outcome.ok === undefined && refusedBeforeAttempt(config, seen.length, lines);
  const retries = lines.filter((line) => line.level === 'warn' && line.text.startsWith('Retrying'));
  const announced = refused ? seen : seen.slice(0, -1);
  expect(retries.map((line) => line.meta.attempt)).toEqual(announced.map((_, i) => i + 1));
  retries.forEach((line) => expect(line.meta.maxAttempts).toBe(config.maxAttempts));
  const last = lines.filter((line) => !line.text.startsWith('Retrying')).map((line) => line.meta.attempt);
  if (outcome.ok !== undefined) {
    // A first-attempt success logs nothing; a later one says at which attempt it succeeded.
    expect(last).toEqual(seen.length === 1 ? [] : [seen.length]);
  } else {
    // One closing line (given up, not retried, deadline), naming the last attempt made.
    expect(last).toEqual([seen.length]);
  }
}

// ---------------------------------------------------------------------------------------

describe('retry engine invariants (fast-check, fake clock)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'], now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
    resetResilience();
  });

  it('supervised path (tracer per call, calls concurrent on one key): settles, bounded, reported', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ config, calls, seed }) => {
        resetResilience();
        configureResilience({ random: mulberry32(seed), logger: memoryLogger([]) });
        const agents = calls.map(
          (faults) => new TracedAgent(new RetryConfig(config), new FaultSource(playable(faults, config))),
        );
        const outcomes = agents.map((agent) => watch(agent.complete()));
        await drain();
        agents.forEach((agent, i) => {
          checkCall(config, agent.source, outcomes[i], agents.length > 1);
          checkTrace(config, agent, outcomes[i]);
          checkLogs(config, agent.lines, agent.source, outcomes[i]);
        });
      }),
      { seed: 20261122, numRuns: 250 },
    );
  }, 30_000);

  it('lean path (no tracer; timeouts only when drawn), calls one after another on one key: settles, bounded, logged', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ config, calls, seed }) => {
        resetResilience();
        const lines: LogLine[] = [];
        configureResilience({ random: mulberry32(seed), logger: memoryLogger(lines) });
        for (const faults of calls) {
          lines.length = 0;
          const agent = new PlainAgent(new RetryConfig(config), new FaultSource(playable(faults, config)));
          const outcome = watch(agent.complete());
          await drain();
          checkCall(config, agent.source, outcome, false);
          checkLogs(config, lines, agent.source, outcome);
        }
      }),
      { seed: 20261122, numRuns: 250 },
    );
  }, 30_000);
});
