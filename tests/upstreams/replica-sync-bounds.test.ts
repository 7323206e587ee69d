// The mirror bounds every value a shared state store delivers before it applies it: what
// other replicas publish (through Redis, say) may be poisoned or buggy. A fake store stands in
// for the real one; events are handed to `applySharedEvent` as the store's listener would.
import { configureResilience, resetResilience } from '../../src';
import { applySharedEvent, bindStateStore } from '../../src/upstreams/replica-sync';
import type { SharedStateEvent, SharedStateStore } from '../../src/ports/shared-state-store';
import { existingUpstream, upstreamFor } from '../../src/upstreams/per-key-state';
import {
  type ResolvedCircuitBreakerOptions,
  validateCircuitBreakerOptions,
} from '../../src/strategies/circuit-breaker/circuit-breaker-options';
import {
  type ResolvedRetryBudgetOptions,
  validateRetryBudgetOptions,
} from '../../src/strategies/retry-budget/retry-budget-options';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const fakeStore = (): SharedStateStore => ({ shareCooldown() {}, subscribe: () => () => {} });
const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
let store: SharedStateStore;

/** Hands `event` (any shape: it comes from elsewhere) to the mirror as `from` delivers it. */
const hear = (event: Record<string, unknown>, from: SharedStateStore = store) =>
  applySharedEvent(from, event as unknown as SharedStateEvent);

/** The warnings about bounded values: [message, meta]. */
const warnings = (): Array<[string, Record<string, unknown>]> =>
  logger.warn.mock.calls.filter(([message]) =>
    /^llm-resilience: (ignored|clamped|took) /.test(String(message)),
  ) as Array<[string, Record<string, unknown>]>;

const breakerOptions = (maxHalfOpenAfterMs: number): ResolvedCircuitBreakerOptions => {
  const { value } = validateCircuitBreakerOptions({ failureThreshold: 2, halfOpenAfterMs: 100, maxHalfOpenAfterMs });
  if (!value) throw new Error('invalid breaker options');
  return value;
};
const budgetOptions: ResolvedRetryBudgetOptions = (() => {
  const { value } = validateRetryBudgetOptions({ capacity: 20, retryCost: 5 });
  if (!value) throw new Error('invalid budget options');
  return value;
})();

/** How long the key's breaker refuses calls from now (0 when it lets them through). */
const refusedForMs = (key: string): number => {
  const result = upstreamFor(key).circuit.existing()!.acquire();
  return result.allowed ? 0 : result.retryAfterMs;
};

beforeEach(() => {
  resetResilience();
  for (const mock of Object.values(logger)) mock.mockReset();
  store = fakeStore();
  configureResilience({ stateStore: store, logger });
});
afterEach(() => resetResilience());

describe('cooldown', () => {
  it.each([
    ['1e9 ms ahead', () => Date.now() + 1e9, /ending 277\.8 h from now \(more than 24 h ahead\)$/],
    ['24 h and 1 s ahead', () => Date.now() + DAY_MS + 1000, /ending 24\.0 h from now \(more than 24 h ahead\)$/],
    ['NaN', () => Number.NaN, /ending at NaN \(not a time\)$/],
    ['Infinity', () => Infinity, /ending at Infinity \(not a time\)$/],
    ['-Infinity', () => -Infinity, /ending at -Infinity \(not a time\)$/],
    ['a string', () => String(Date.now() + 1000), /ending at a string \(not a time\)$/],
    ['null', () => null, /ending at null \(not a time\)$/],
    ['missing', () => undefined, /ending at undefined \(not a time\)$/],
  ])('ending %s: ignored, with a warning', (_name, untilMs, message) => {
    hear({ type: 'cooldown', key: 'k', untilMs: untilMs() });
    expect(upstreamFor('k').cooldown.untilMs).toBe(0);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0][0]).toMatch(/^llm-resilience: ignored a shared cooldown for key "k" /);
    expect(warnings()[0][0]).toMatch(message);
  });

  it('up to 24 h ahead: applied, without a warning', () => {
    const until = Date.now() + DAY_MS - 1000;
    hear({ type: 'cooldown', key: 'k', untilMs: until });
    expect(upstreamFor('k').cooldown.untilMs).toBe(until);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('circuit', () => {
  it.each([
    ['0', 0],
    ['negative', -5],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['a string', '1000'],
    ['missing', undefined],
  ])('open for %s: ignored, with a warning', (_name, openForMs) => {
    upstreamFor('k').circuit.breaker(breakerOptions(200));
    hear({ type: 'circuit', key: 'k', state: 'open', openForMs, failures: 3 });
    expect(upstreamFor('k').circuit.state()).toBe('closed');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0][0]).toMatch(/^llm-resilience: ignored a shared open circuit for key "k" open for /);
  });

  it("open for longer than the local breaker's maxHalfOpenAfterMs: clamped to it", () => {
    upstreamFor('k').circuit.breaker(breakerOptions(200));
    hear({ type: 'circuit', key: 'k', state: 'open', openForMs: 1e12, failures: 3 });
    expect(upstreamFor('k').circuit.state()).toBe('open');
    expect(refusedForMs('k')).toBeLessThanOrEqual(200);
    expect(warnings()).toEqual([
      [
        'llm-resilience: clamped a shared open circuit for key "k" from 277777.8 h to 200 ms (its maxHalfOpenAfterMs)',
        { upstream: 'k', type: 'circuit', received: 1e12, applied: 200 },
      ],
    ]);
  });

  it('before this process has a breaker for the key: clamped to the default maxHalfOpenAfterMs (5 min)', () => {
    hear({ type: 'circuit', key: 'k', state: 'open', openForMs: 1e12, failures: 3 });
    upstreamFor('k').circuit.breaker(breakerOptions(DAY_MS));
    expect(upstreamFor('k').circuit.state()).toBe('open');
    expect(refusedForMs('k')).toBeLessThanOrEqual(300_000);
    expect(warnings()[0][0]).toBe(
      'llm-resilience: clamped a shared open circuit for key "k" from 277777.8 h to 5.0 min (its maxHalfOpenAfterMs)',
    );
  });

  it('open within the bound: applied as is, without a warning', () => {
    upstreamFor('k').circuit.breaker(breakerOptions(60_000));
    hear({ type: 'circuit', key: 'k', state: 'open', openForMs: 5000, failures: 3 });
    expect(refusedForMs('k')).toBeGreaterThan(4900);
    expect(logger.warn.mock.calls.map(([message]) => message)).toEqual([
      'Circuit for k opened after 3 failures; calls fail fast for 5.0s',
    ]);
  });

  it.each([
    ['negative', -1],
    ['fractional', 2.5],
    ['NaN', Number.NaN],
    ['a string', '3'],
    ['above the safe integers', 2 ** 53],
  ])('a failure count that is %s: taken as 0, with a warning', (_name, failures) => {
    upstreamFor('k').circuit.breaker(breakerOptions(60_000));
    hear({ type: 'circuit', key: 'k', state: 'open', openForMs: 5000, failures });
    expect(upstreamFor('k').circuit.state()).toBe('open');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0][0]).toMatch(
      /^llm-resilience: took the failure count of a shared open circuit for key "k" as 0 \(received .*: not a non-negative integer\)$/,
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/^Circuit for k opened after 0 failures/),
      expect.anything(),
    );
  });
});

describe('rate limit', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['negative', -5],
    ['0', 0],
    ['below 1', 0.5],
    ['a string', 'x'],
    ['a numeric string', '600'],
    ['null', null],
  ])('of %s: ignored (no pacing), with a warning', (_name, limitPerMinute) => {
    hear({ type: 'limit', key: 'k', limitPerMinute });
    expect(upstreamFor('k').pacing.limiter).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0][0]).toMatch(
      /^llm-resilience: ignored a shared rate limit for key "k" of .* per minute \(not a finite number >= 1\)$/,
    );
  });

  it('of 600 per minute: applied, without a warning', () => {
    hear({ type: 'limit', key: 'k', limitPerMinute: 600 });
    expect(upstreamFor('k').pacing.limiter!.snapshot()).toMatchObject({ targetRatePerSecond: 9.7 });
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('retry budget', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['a string', '5'],
    ['null', null],
  ])('of %s tokens: ignored, with a warning', (_name, tokens) => {
    upstreamFor('k').budget.budget(budgetOptions);
    hear({ type: 'budget', key: 'k', tokens });
    expect(upstreamFor('k').budget.budget().available).toBe(20);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0][0]).toMatch(/^llm-resilience: ignored a shared retry budget for key "k" of .* tokens/);
  });

  it.each([
    ['above capacity', 1e9, 20],
    ['negative', -5, 0],
  ])('of tokens %s: clamped to [0, capacity], with a warning', (_name, tokens, applied) => {
    upstreamFor('k').budget.budget(budgetOptions);
    hear({ type: 'budget', key: 'k', tokens });
    expect(upstreamFor('k').budget.budget().available).toBe(applied);
    expect(warnings()).toEqual([
      [
        `llm-resilience: clamped a shared retry budget for key "k" from ${tokens} to ${applied} tokens (outside 0 to the bucket's capacity)`,
        { upstream: 'k', type: 'budget', received: tokens, applied },
      ],
    ]);
  });

  it('before this process has a budget for the key: negative is taken as 0, above capacity bounded on creation', () => {
    hear({ type: 'budget', key: 'low', tokens: -5 });
    hear({ type: 'budget', key: 'high', tokens: 1e9 });
    expect(upstreamFor('low').budget.budget(budgetOptions).available).toBe(0);
    expect(upstreamFor('high').budget.budget(budgetOptions).available).toBe(20);
    expect(warnings()).toHaveLength(1); // one per kind: the clamp of -5
  });

  it('within [0, capacity]: applied, without a warning', () => {
    upstreamFor('k').budget.budget(budgetOptions);
    hear({ type: 'budget', key: 'k', tokens: 7.5 });
    expect(upstreamFor('k').budget.budget().available).toBe(7.5);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('replicas', () => {
  it.each([
    ['0', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['10001', 10_001],
    ['a million', 1e6],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['a string', '3'],
  ])('a count of %s: ignored, with a warning', (_name, count) => {
    hear({ type: 'limit', key: 'k', limitPerMinute: 600 });
    hear({ type: 'replicas', key: 'k', count });
    expect(upstreamFor('k').pacing.limiter!.snapshot()).toMatchObject({ replicas: 1, targetRatePerSecond: 9.7 });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0][0]).toMatch(
      /^llm-resilience: ignored a shared replica count for key "k" of .* \(not an integer from 1 to 10000\)$/,
    );
  });

  it.each([1, 3, 10_000])('a count of %s: applied, without a warning', (count) => {
    hear({ type: 'limit', key: 'k', limitPerMinute: 600 });
    hear({ type: 'replicas', key: 'k', count });
    expect(upstreamFor('k').pacing.limiter!.snapshot().replicas).toBe(count);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('the warnings', () => {
  it('one per store and kind of anomaly, however many events (and keys)', () => {
    for (let i = 0; i < 50; i++) {
      hear({ type: 'cooldown', key: `k${i}`, untilMs: Date.now() + 1e9 });
      hear({ type: 'cooldown', key: `k${i}`, untilMs: Number.NaN });
      hear({ type: 'limit', key: `k${i}`, limitPerMinute: -5 });
      hear({ type: 'replicas', key: `k${i}`, count: 1e6 });
    }
    expect(warnings()).toHaveLength(4);

    // Another store (bound to its own key) has its own once-only memory.
    const other = fakeStore();
    bindStateStore('bound', other);
    hear({ type: 'cooldown', key: 'bound', untilMs: Date.now() + 1e9 }, other);
    hear({ type: 'cooldown', key: 'bound', untilMs: Date.now() + 1e9 }, other);
    expect(warnings()).toHaveLength(5);
    expect(warnings()[4][0]).toMatch(/key "bound"/);
  });

  it('are told again after resetResilience', () => {
    hear({ type: 'cooldown', key: 'k', untilMs: Date.now() + 1e9 });
    hear({ type: 'cooldown', key: 'k', untilMs: Date.now() + 1e9 });
    expect(warnings()).toHaveLength(1);
    resetResilience();
    configureResilience({ stateStore: store, logger });
    hear({ type: 'cooldown', key: 'k', untilMs: Date.now() + 1e9 });
    expect(warnings()).toHaveLength(2);
  });

  it('name only the key, the event type and numbers: never a received string', () => {
    hear({ type: 'limit', key: 'k', limitPerMinute: 'x\nFAKE LOG LINE <script>' });
    hear({ type: 'cooldown', key: 'evil\nkey "quoted"', untilMs: Date.now() + 1e9 });
    const long = 'x'.repeat(1000);
    hear({ type: 'replicas', key: long, count: 0 });
    const [[limit, limitMeta], [cooldown, cooldownMeta], [replicas, replicasMeta]] = warnings();
    expect(limit).toBe(
      'llm-resilience: ignored a shared rate limit for key "k" of a string per minute (not a finite number >= 1)',
    );
    expect(limitMeta).toEqual({ upstream: 'k', type: 'limit' });
    expect(cooldown).not.toContain('\n');
    expect(cooldown).toContain('key "evil\\nkey \\"quoted\\""');
    expect(cooldownMeta).toEqual({ upstream: 'evil\nkey "quoted"', type: 'cooldown', received: expect.any(Number) });
    expect(replicas.length).toBeLessThan(400);
    expect(replicasMeta.upstream).toBe(`${'x'.repeat(200)}…`);
  });

  it('a logger that throws changes nothing: the clamped value still applies', () => {
    logger.warn.mockImplementation(() => {
      throw new Error('logger down');
    });
    upstreamFor('k').budget.budget(budgetOptions);
    expect(() => hear({ type: 'budget', key: 'k', tokens: 1e9 })).not.toThrow();
    expect(upstreamFor('k').budget.budget().available).toBe(20);
  });

  it("events from a store that is not the key's are not applied and not warned about", () => {
    hear({ type: 'cooldown', key: 'k', untilMs: Date.now() + 1e9 }, fakeStore());
    hear({ type: 'cooldown', key: 'k', untilMs: Date.now() + 1000 }, fakeStore());
    expect(upstreamFor('k').cooldown.untilMs).toBe(0);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('keys heard of only from the store', () => {
  it('are kept so that this process paces with a limit heard before its first call', () => {
    hear({ type: 'limit', key: 'never-called', limitPerMinute: 600 });
    expect(existingUpstream('never-called')?.pacing.limiter).toBeDefined();
  });

  it('are not created for a store that is not the configured one', () => {
    hear({ type: 'limit', key: 'elsewhere', limitPerMinute: 600 }, fakeStore());
    expect(existingUpstream('elsewhere')).toBeUndefined();
  });

  it('stop at 10,000: a flood of events naming new keys does not grow the state, and is warned about once', () => {
    for (let i = 0; i < 10_050; i++) hear({ type: 'cooldown', key: `flood-${i}`, untilMs: Date.now() + 1000 });
    expect(existingUpstream('flood-9999')).toBeDefined();
    expect(existingUpstream('flood-10000')).toBeUndefined();
    const floods = logger.warn.mock.calls.filter(([message]) => /keys not used by this process/.test(String(message)));
    expect(floods).toHaveLength(1);
    // A key this process uses still hears its store.
    upstreamFor('used');
    hear({ type: 'cooldown', key: 'used', untilMs: Date.now() + 1000 });
    expect(upstreamFor('used').cooldown.untilMs).toBeGreaterThan(0);
  });
});
