import fc from 'fast-check';
import {
  CIRCUIT_BREAKER_DEFAULTS,
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitState,
  CircuitTransition,
  ResolvedCircuitBreakerOptions,
  validateCircuitBreakerOptions,
} from '../../../src/strategies/circuit-breaker';

/** A clock the test moves by hand. */
function manualClock(start = 0) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/** Resolved options from a partial input, failing the test on any issue. */
function resolve(input: CircuitBreakerOptions = {}): ResolvedCircuitBreakerOptions {
  const { value, issues } = validateCircuitBreakerOptions(input);
  if (!value) throw new Error(`unexpected issues: ${issues.map((issue) => issue.message).join('; ')}`);
  return value;
}

function setup(input: CircuitBreakerOptions = {}, start = 0) {
  const clock = manualClock(start);
  const breaker = new CircuitBreaker(resolve(input), clock.now);
  const events: CircuitTransition[] = [];
  breaker.onTransition((event) => events.push(event));
  return { clock, breaker, events };
}

/** Plays outcomes of ordinary (non-probe) calls: f = failure, s = success, i = ignored. */
function play(breaker: CircuitBreaker, outcomes: string): void {
  for (const outcome of outcomes) {
    const result = breaker.acquire();
    if (!result.allowed) return;
    if (outcome === 'f') breaker.recordFailure(result.probe);
    else if (outcome === 's') breaker.recordSuccess(result.probe);
    else breaker.recordIgnored(result.probe);
  }
}

/** Opens the circuit with consecutive failures. */
function open(breaker: CircuitBreaker): void {
  play(breaker, 'f'.repeat(breaker.options.failureThreshold ?? 1));
  expect(breaker.state).toBe('open');
}

describe('CircuitBreaker: closed', () => {
  it('lets every call through, not as a probe', () => {
    const { breaker } = setup();
    expect(breaker.state).toBe('closed');
    expect(breaker.acquire()).toEqual({ allowed: true, probe: false });
    expect(breaker.probesInFlight).toBe(0);
  });
});

describe('CircuitBreaker: consecutive mode (failureThreshold 5)', () => {
  it.each<[string, string, CircuitState]>([
    ['4 failures stay closed', 'ffff', 'closed'],
    ['the 5th failure opens', 'fffff', 'open'],
    ['a success in between resets the count', 'ffffsffff', 'closed'],
    ['after a reset, 5 more failures open', 'ffffsfffff', 'open'],
    ['ignored failures do not reset the count', 'ffffiif', 'open'],
    ['ignored failures do not count', 'iiiiiiiiiiffff', 'closed'],
    ['successes alone never open', 'sssssssss', 'closed'],
  ])('%s (%s)', (_label, outcomes, state) => {
    const { breaker } = setup();
    play(breaker, outcomes);
    expect(breaker.state).toBe(state);
  });

  it('reports the failure count and the wait when it opens', () => {
    const { breaker, events } = setup();
    play(breaker, 'fffff');
    expect(events).toEqual([{ from: 'closed', to: 'open', failures: 5, retryAfterMs: 30_000 }]);
  });

  it('opens at once with failureThreshold 1', () => {
    const { breaker } = setup({ failureThreshold: 1 });
    play(breaker, 'f');
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: ratio mode', () => {
  // Buckets of 1000 ms over a 10 s window.
  const ratio = { failureRatio: 0.5, minimumThroughput: 4, samplingDurationMs: 10_000 };

  it.each<[string, string, CircuitState]>([
    ['below minimumThroughput nothing opens, even at 100% failures', 'fff', 'closed'],
    ['at minimumThroughput, 4/4 failures open', 'ffff', 'open'],
    ['2/4 reaches the ratio (>=) and opens', 'ssff', 'open'],
    ['1/4 stays closed', 'sssf', 'closed'],
    ['2/5 stays closed', 'sssff', 'closed'],
    ['3/6 opens', 'sssfff', 'open'],
    ['a success does not reset failures (unlike consecutive mode)', 'fsfsf', 'open'],
    ['ignored failures are not outcomes', 'ffiiiiii', 'closed'],
    ['ignored failures do not make up the throughput', 'fffiiiii', 'closed'],
  ])('%s (%s)', (_label, outcomes, state) => {
    const { breaker } = setup(ratio);
    play(breaker, outcomes);
    expect(breaker.state).toBe(state);
  });

  it('reports the failures in the window when it opens', () => {
    const { breaker, events } = setup(ratio);
    play(breaker, 'sfff'); // 3/4
    expect(events).toEqual([{ from: 'closed', to: 'open', failures: 3, retryAfterMs: 30_000 }]);
  });

  it('judges the ratio only when a failure is recorded', () => {
    const { breaker } = setup(ratio);
    play(breaker, 'ffss'); // the ratio is 2/4 only after the successes
    expect(breaker.state).toBe('closed');
    play(breaker, 'f'); // 3/5
    expect(breaker.state).toBe('open');
  });

  it.each<[string, number, CircuitState]>([
    ['failures 9 s old are still in the window', 9_000, 'open'],
    ['failures 10 s old have slid out', 10_000, 'closed'],
    ['failures 25 s old have slid out', 25_000, 'closed'],
  ])('%s', (_label, age, state) => {
    const { breaker, clock } = setup(ratio);
    play(breaker, 'fff');
    clock.advance(age);
    play(breaker, 'f');
    expect(breaker.state).toBe(state);
  });

  it('slides one bucket at a time: the oldest bucket drops out, the others stay', () => {
    const { breaker, clock } = setup({ failureRatio: 0.5, minimumThroughput: 10, samplingDurationMs: 10_000 });
    for (let second = 0; second < 9; second++) {
      play(breaker, 'f'); // one failure in each of the buckets of seconds 0..8
      clock.advance(1000);
    }
    clock.advance(1000); // t = 10 s: the bucket of second 0 has left the window
    play(breaker, 'f');
    expect(breaker.state).toBe('closed'); // 8 + 1 outcomes
    play(breaker, 'f');
    expect(breaker.state).toBe('open'); // 10 outcomes
  });

  it('reuses its buckets: memory does not grow with old outcomes', () => {
    const { breaker, clock } = setup({ failureRatio: 0.5, minimumThroughput: 3, samplingDurationMs: 1000 });
    for (let i = 0; i < 1000; i++) {
      play(breaker, 'ss');
      clock.advance(10_000);
    }
    play(breaker, 'ff'); // 2 outcomes in the window: the 2000 old ones are gone
    expect(breaker.state).toBe('closed');
    play(breaker, 'f');
    expect(breaker.state).toBe('open');
  });

  it('starts a fresh window after closing again', () => {
    const { breaker, clock } = setup({ ...ratio, samplingDurationMs: 60_000, halfOpenAfterMs: 1000 });
    play(breaker, 'ffff');
    clock.advance(1000); // the 4 failures are still inside the 60 s window
    const probe = breaker.acquire();
    expect(probe).toEqual({ allowed: true, probe: true });
    breaker.recordSuccess(true);
    expect(breaker.state).toBe('closed');
    play(breaker, 'fff'); // would be 7 failures if the old window counted
    expect(breaker.state).toBe('closed');
  });

  it('opens only when every outcome fails with failureRatio 1', () => {
    const { breaker } = setup({ failureRatio: 1, minimumThroughput: 2 });
    play(breaker, 'sffffff');
    expect(breaker.state).toBe('closed');
    const fresh = setup({ failureRatio: 1, minimumThroughput: 2 }).breaker;
    play(fresh, 'ff');
    expect(fresh.state).toBe('open');
  });
});

describe('CircuitBreaker: open', () => {
  it('refuses with the time left until half-open as the clock advances', () => {
    const { breaker, clock } = setup({}, 1_000_000);
    open(breaker);
    const steps: [advance: number, retryAfterMs: number][] = [
      [0, 30_000],
      [1, 29_999],
      [10_000, 19_999],
      [19_998, 1],
      [0.5, 1], // 0.5 ms left: rounded up, never 0
    ];
    for (const [advance, retryAfterMs] of steps) {
      clock.advance(advance);
      expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs });
      expect(breaker.state).toBe('open');
    }
    clock.advance(0.5);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
  });

  it('ignores late outcomes of calls admitted before it opened', () => {
    const { breaker, clock } = setup();
    const late = [breaker.acquire(), breaker.acquire()];
    expect(late.every((result) => result.allowed)).toBe(true);
    open(breaker);
    breaker.recordSuccess(false); // does not close
    expect(breaker.state).toBe('open');
    clock.advance(20_000);
    breaker.recordFailure(false); // does not extend the wait
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 10_000 });
  });

  it('turns half-open lazily on a state read, firing the event once', () => {
    const { breaker, clock, events } = setup();
    open(breaker);
    clock.advance(30_000);
    expect(events).toHaveLength(1); // nothing happens without a read: no timers
    expect(breaker.state).toBe('half_open');
    expect(breaker.state).toBe('half_open');
    expect(events.slice(1)).toEqual([{ from: 'open', to: 'half_open', failures: 0 }]);
  });
});

describe('CircuitBreaker: half-open', () => {
  it.each([1, 2, 3])('lets exactly halfOpenMaxCalls (%i) probes through and refuses the rest', (max) => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: max });
    open(breaker);
    clock.advance(30_000);
    for (let i = 0; i < max; i++) expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.probesInFlight).toBe(max);
    // Refused until the first probe must have ended: its probeTimeoutMs (30 s by default), never 1 ms.
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 30_000 });
    clock.advance(12_000);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 18_000 });
    expect(breaker.state).toBe('half_open');
  });

  it('closes on a probe success, with a fresh consecutive count', () => {
    const { breaker, clock, events } = setup();
    open(breaker);
    clock.advance(30_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.recordSuccess(true);
    expect(breaker.state).toBe('closed');
    expect(breaker.probesInFlight).toBe(0);
    expect(events.at(-1)).toEqual({ from: 'half_open', to: 'closed', failures: 0 });
    expect(breaker.acquire()).toEqual({ allowed: true, probe: false });
    play(breaker, 'ffff');
    expect(breaker.state).toBe('closed');
  });

  it('re-opens on a probe failure with 2x, then 4x the wait, capped at maxHalfOpenAfterMs', () => {
    const { breaker, clock, events } = setup({ halfOpenAfterMs: 1000, maxHalfOpenAfterMs: 5000 });
    open(breaker);
    const waits: number[] = [];
    for (let round = 0; round < 5; round++) {
      const refused = breaker.acquire();
      expect(refused.allowed).toBe(false);
      if (!refused.allowed) waits.push(refused.retryAfterMs);
      clock.advance(refused.allowed ? 0 : refused.retryAfterMs);
      const probe = breaker.acquire();
      expect(probe).toEqual({ allowed: true, probe: true });
      breaker.recordFailure(true);
      expect(breaker.state).toBe('open');
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000, 5000]);
    const reopenings = events.filter((event) => event.from === 'half_open');
    expect(reopenings.map((event) => [event.failures, event.retryAfterMs])).toEqual([
      [1, 2000],
      [1, 4000],
      [1, 5000],
      [1, 5000],
      [1, 5000],
    ]);
  });

  it('resets the re-open backoff once a probe succeeds', () => {
    const { breaker, clock } = setup({ halfOpenAfterMs: 1000 });
    open(breaker);
    clock.advance(1000);
    breaker.acquire();
    breaker.recordFailure(true); // 2000
    clock.advance(2000);
    breaker.acquire();
    breaker.recordSuccess(true);
    open(breaker);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('releases the slot of an ignored probe and stays half-open', () => {
    const { breaker, clock, events } = setup();
    open(breaker);
    clock.advance(30_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire().allowed).toBe(false);
    breaker.recordIgnored(true);
    expect(breaker.state).toBe('half_open');
    expect(breaker.probesInFlight).toBe(0);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(events.map((event) => event.to)).toEqual(['open', 'half_open']);
  });

  it('ignores outcomes of non-probe calls: only probes decide', () => {
    const { breaker, clock } = setup();
    open(breaker);
    clock.advance(30_000);
    breaker.acquire();
    breaker.recordFailure(false);
    breaker.recordSuccess(false);
    expect(breaker.state).toBe('half_open');
    expect(breaker.probesInFlight).toBe(1);
  });

  it('counts a late probe failure after another probe closed it as an ordinary failure', () => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: 2, failureThreshold: 2 });
    open(breaker);
    clock.advance(30_000);
    breaker.acquire();
    breaker.acquire();
    breaker.recordSuccess(true);
    expect(breaker.state).toBe('closed');
    breaker.recordFailure(true);
    expect(breaker.state).toBe('closed'); // 1 of 2
    expect(breaker.probesInFlight).toBe(0);
    play(breaker, 'f');
    expect(breaker.state).toBe('open');
  });

  it('does not back off twice when a second probe fails after the first re-opened it', () => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: 2, halfOpenAfterMs: 1000 });
    open(breaker);
    clock.advance(1000);
    breaker.acquire();
    breaker.acquire();
    breaker.recordFailure(true);
    breaker.recordFailure(true);
    expect(breaker.probesInFlight).toBe(0);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 2000 });
  });

  it('never lets the probe count go negative when a probe is reported twice', () => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: 1 });
    open(breaker);
    clock.advance(30_000);
    breaker.acquire();
    breaker.recordIgnored(true);
    breaker.recordIgnored(true);
    expect(breaker.probesInFlight).toBe(0);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire().allowed).toBe(false);
  });
});

describe('CircuitBreaker: transition listeners', () => {
  it('sees every transition in order, with its details', () => {
    const { breaker, clock, events } = setup({ halfOpenAfterMs: 1000 });
    open(breaker);
    clock.advance(1000);
    breaker.acquire();
    breaker.recordFailure(true);
    clock.advance(2000);
    expect(breaker.state).toBe('half_open');
    breaker.acquire();
    breaker.recordSuccess(true);
    expect(events).toEqual([
      { from: 'closed', to: 'open', failures: 5, retryAfterMs: 1000 },
      { from: 'open', to: 'half_open', failures: 0 },
      { from: 'half_open', to: 'open', failures: 1, retryAfterMs: 2000 },
      { from: 'open', to: 'half_open', failures: 0 },
      { from: 'half_open', to: 'closed', failures: 0 },
    ]);
  });

  it('is called synchronously, after the state has changed', () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const seen: CircuitState[] = [];
    breaker.onTransition(() => seen.push(breaker.state));
    play(breaker, 'f');
    expect(seen).toEqual(['open']);
  });

  it('stops on unsubscribe; unsubscribing twice is harmless', () => {
    const { breaker, clock } = setup({ failureThreshold: 1 });
    const first: string[] = [];
    const second: string[] = [];
    const unsubscribe = breaker.onTransition((event) => first.push(event.to));
    breaker.onTransition((event) => second.push(event.to));
    play(breaker, 'f');
    unsubscribe();
    unsubscribe();
    clock.advance(30_000);
    expect(breaker.state).toBe('half_open');
    expect(first).toEqual(['open']);
    expect(second).toEqual(['open', 'half_open']);
  });

  it('keeps the other subscriptions when one listener unsubscribes while being notified', () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const seen: string[] = [];
    const unsubscribe = breaker.onTransition(() => {
      seen.push('first');
      unsubscribe();
    });
    breaker.onTransition(() => seen.push('second'));
    play(breaker, 'f');
    expect(seen).toEqual(['first', 'second']);
  });

  it('survives a throwing listener: the others run and the state machine is intact', () => {
    const { breaker, events } = setup({ failureThreshold: 1 });
    breaker.onTransition(() => {
      throw new Error('listener bug');
    });
    const after: string[] = [];
    breaker.onTransition((event) => after.push(event.to));
    expect(() => play(breaker, 'f')).not.toThrow();
    expect(breaker.state).toBe('open');
    expect(events).toHaveLength(1);
    expect(after).toEqual(['open']);
  });

  it('keeps the probe limit when a listener acquires a probe during the half-open transition', () => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: 1 });
    const inListener: unknown[] = [];
    breaker.onTransition((event) => {
      if (event.to === 'half_open') inListener.push(breaker.acquire());
    });
    open(breaker);
    clock.advance(30_000);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 30_000 });
    expect(inListener).toEqual([{ allowed: true, probe: true }]);
    expect(breaker.probesInFlight).toBe(1);
  });
});

describe('CircuitBreaker: constructor', () => {
  it.each<[string, unknown]>([
    ['no probe slot', { ...CIRCUIT_BREAKER_DEFAULTS, halfOpenMaxCalls: 0 }],
    ['both opening rules', { ...CIRCUIT_BREAKER_DEFAULTS, failureRatio: 0.5 }],
    ['not an object', undefined],
  ])('rejects invalid options (%s) with a TypeError', (_label, options) => {
    expect(() => new CircuitBreaker(options as ResolvedCircuitBreakerOptions, () => 0)).toThrow(TypeError);
  });

  it('names the broken field', () => {
    expect(() => new CircuitBreaker({ ...CIRCUIT_BREAKER_DEFAULTS, halfOpenMaxCalls: 0 }, () => 0)).toThrow(
      'CircuitBreaker: circuitBreaker.halfOpenMaxCalls must be an integer from 1 to 1000 (received 0)',
    );
  });

  it('requires a clock', () => {
    expect(() => new CircuitBreaker(CIRCUIT_BREAKER_DEFAULTS, undefined as unknown as () => number)).toThrow(TypeError);
  });

  it('accepts the defaults as they are', () => {
    expect(new CircuitBreaker(CIRCUIT_BREAKER_DEFAULTS, () => 0).options).toEqual(CIRCUIT_BREAKER_DEFAULTS);
  });
});

describe('CircuitBreaker: properties', () => {
  type Command =
    | { type: 'acquire' }
    | { type: 'finish'; pick: number; outcome: 'success' | 'failure' | 'ignored' }
    | { type: 'advance'; ms: number }
    | { type: 'read' };

  // Weighted towards admissions and failures: uniform choices rarely get past the
  // opening threshold, and the half-open probe logic is where the invariants are at risk.
  const command: fc.Arbitrary<Command> = fc.oneof(
    { arbitrary: fc.constant<Command>({ type: 'acquire' }), weight: 4 },
    {
      arbitrary: fc.record({
        type: fc.constant('finish' as const),
        pick: fc.nat(),
        outcome: fc.oneof(
          { arbitrary: fc.constant('failure' as const), weight: 4 },
          { arbitrary: fc.constant('success' as const), weight: 1 },
          { arbitrary: fc.constant('ignored' as const), weight: 1 },
        ),
      }),
      weight: 4,
    },
    {
      arbitrary: fc.record({
        type: fc.constant('advance' as const),
        ms: fc.oneof(fc.nat(3000), fc.double({ min: 0, max: 50, noNaN: true })),
      }),
      weight: 2,
    },
    { arbitrary: fc.constant<Command>({ type: 'read' }), weight: 1 },
  );

  const optionsInput: fc.Arbitrary<CircuitBreakerOptions> = fc
    .record({
      ratio: fc.option(fc.double({ min: 0.05, max: 1, noNaN: true }), { nil: undefined }),
      failureThreshold: fc.integer({ min: 1, max: 4 }),
      minimumThroughput: fc.integer({ min: 1, max: 6 }),
      samplingDurationMs: fc.integer({ min: 100, max: 5000 }),
      halfOpenAfterMs: fc.integer({ min: 1, max: 2000 }),
      extraCap: fc.integer({ min: 0, max: 10_000 }),
      halfOpenMaxCalls: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ ratio, failureThreshold, extraCap, ...rest }) => ({
      ...rest,
      ...(ratio === undefined ? { failureThreshold } : { failureRatio: ratio }),
      maxHalfOpenAfterMs: rest.halfOpenAfterMs + extraCap,
    }));

  const ALLOWED_TRANSITIONS = new Set(['closed>open', 'open>half_open', 'half_open>closed', 'half_open>open']);

  /** A plain check: jest's `expect` is too slow for tens of thousands of steps. */
  function invariant(condition: boolean, message: string): void {
    if (!condition) throw new Error(message);
  }

  it('keeps its invariants for any sequence of calls, outcomes and clock steps', () => {
    fc.assert(
      fc.property(optionsInput, fc.array(command, { maxLength: 200, size: 'max' }), (input, commands) => {
        const { breaker, clock, events } = setup(input, 10_000);
        const { halfOpenMaxCalls, maxHalfOpenAfterMs, probeTimeoutMs } = breaker.options;
        const inFlight: boolean[] = []; // the probe flag of each admitted call not yet finished
        for (const step of commands) {
          if (step.type === 'acquire') {
            const before = breaker.state;
            const result = breaker.acquire();
            if (result.allowed) {
              inFlight.push(result.probe);
              invariant(result.probe === (before !== 'closed'), 'closed admits ordinary calls, the others probes only');
            } else {
              invariant(before !== 'closed', 'closed never refuses');
              const wait = result.retryAfterMs;
              // Open: the wait left; half-open with its probes busy: the first probe's time left.
              // (An open circuit whose wait ends during acquire turns half-open: either bound then.)
              const bound = before === 'open' ? Math.max(maxHalfOpenAfterMs, probeTimeoutMs) : probeTimeoutMs;
              invariant(Number.isInteger(wait) && wait >= 1 && wait <= bound, `retryAfterMs ${wait} (${before})`);
            }
          } else if (step.type === 'finish' && inFlight.length > 0) {
            const [probe] = inFlight.splice(step.pick % inFlight.length, 1);
            if (step.outcome === 'success') breaker.recordSuccess(probe);
            else if (step.outcome === 'failure') breaker.recordFailure(probe);
            else breaker.recordIgnored(probe);
          } else if (step.type === 'advance') {
            clock.advance(step.ms);
          } else {
            invariant(['closed', 'open', 'half_open'].includes(breaker.state), `state ${breaker.state}`);
          }
          const probes = breaker.probesInFlight;
          invariant(probes >= 0 && probes <= halfOpenMaxCalls, `probesInFlight ${probes}`);
          invariant(probes <= inFlight.filter(Boolean).length, 'every probe in flight was admitted and not reported');
        }
        // The last event tells the state, once a read has noticed an expired wait...
        const final = breaker.state;
        expect(final).toBe(events.at(-1)?.to ?? 'closed');
        // ...and transitions form one unbroken chain from closed, along the allowed edges only.
        let state: CircuitState = 'closed';
        for (const event of events) {
          expect(event.from).toBe(state);
          expect(ALLOWED_TRANSITIONS.has(`${event.from}>${event.to}`)).toBe(true);
          if (event.to === 'open') {
            expect(event.retryAfterMs).toBeGreaterThanOrEqual(1);
            expect(event.retryAfterMs).toBeLessThanOrEqual(maxHalfOpenAfterMs);
          }
          state = event.to;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('in consecutive mode, opens exactly when failureThreshold failures follow the last success', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom('f', 's', 'i'), { maxLength: 40 }),
        (failureThreshold, outcomes) => {
          const { breaker } = setup({ failureThreshold });
          let run = 0;
          for (const outcome of outcomes) {
            play(breaker, outcome);
            if (outcome === 's') run = 0;
            if (outcome === 'f') run++;
            if (run >= failureThreshold) break;
          }
          expect(breaker.state).toBe(run >= failureThreshold ? 'open' : 'closed');
        },
      ),
    );
  });

  it('while open, retryAfterMs falls by exactly the time that passed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 100_000 }), fc.array(fc.nat(1000), { maxLength: 30 }), (wait, steps) => {
        const { breaker, clock } = setup({ failureThreshold: 1, halfOpenAfterMs: wait });
        open(breaker);
        let elapsed = 0;
        for (const step of steps) {
          clock.advance(step);
          elapsed += step;
          const result = breaker.acquire();
          if (elapsed >= wait) {
            expect(result).toEqual({ allowed: true, probe: true });
            return;
          }
          expect(result).toEqual({ allowed: false, retryAfterMs: wait - elapsed });
        }
      }),
    );
  });
});

describe('validateCircuitBreakerOptions', () => {
  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['true', true],
  ])('fills every default from %s', (_label, input) => {
    expect(validateCircuitBreakerOptions(input)).toEqual({ value: CIRCUIT_BREAKER_DEFAULTS, issues: [] });
  });

  it('has the documented defaults', () => {
    expect(CIRCUIT_BREAKER_DEFAULTS).toEqual({
      failureThreshold: 5,
      minimumThroughput: 20,
      samplingDurationMs: 30_000,
      halfOpenAfterMs: 30_000,
      maxHalfOpenAfterMs: 300_000,
      halfOpenMaxCalls: 1,
      probeTimeoutMs: 30_000,
    });
    expect(Object.isFrozen(CIRCUIT_BREAKER_DEFAULTS)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['false', false],
    ['undefined', undefined],
  ])('treats %s as "off": no value, no issues', (_label, input) => {
    expect(validateCircuitBreakerOptions(input)).toEqual({ issues: [] });
  });

  it('merges the given fields over the defaults, frozen', () => {
    const { value, issues } = validateCircuitBreakerOptions({ failureThreshold: 3, halfOpenMaxCalls: 2 });
    expect(issues).toEqual([]);
    expect(value).toEqual({ ...CIRCUIT_BREAKER_DEFAULTS, failureThreshold: 3, halfOpenMaxCalls: 2 });
    expect(Object.isFrozen(value)).toBe(true);
  });

  it('resolves ratio mode without failureThreshold, and a resolved value validates again unchanged', () => {
    const { value } = validateCircuitBreakerOptions({ failureRatio: 0.25, minimumThroughput: 10 });
    expect(value).toEqual({
      failureRatio: 0.25,
      minimumThroughput: 10,
      samplingDurationMs: 30_000,
      halfOpenAfterMs: 30_000,
      maxHalfOpenAfterMs: 300_000,
      halfOpenMaxCalls: 1,
      probeTimeoutMs: 30_000,
    });
    expect(value).not.toHaveProperty('failureThreshold');
    expect(validateCircuitBreakerOptions(value)).toEqual({ value, issues: [] });
  });

  it('treats failureRatio: null as not set (JSON has no undefined)', () => {
    expect(validateCircuitBreakerOptions({ failureRatio: null, failureThreshold: 2 }).value).toEqual({
      ...CIRCUIT_BREAKER_DEFAULTS,
      failureThreshold: 2,
    });
  });

  it('lets the cap follow a halfOpenAfterMs above the default cap', () => {
    expect(validateCircuitBreakerOptions({ halfOpenAfterMs: 600_000 }).value).toMatchObject({
      halfOpenAfterMs: 600_000,
      maxHalfOpenAfterMs: 600_000,
    });
  });

  it.each<[string, unknown, string]>([
    [
      'failureThreshold 0',
      { failureThreshold: 0 },
      'circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received 0)',
    ],
    [
      'failureThreshold 1001',
      { failureThreshold: 1001 },
      'circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received 1001)',
    ],
    [
      'failureThreshold 2.5',
      { failureThreshold: 2.5 },
      'circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received 2.5)',
    ],
    [
      'failureThreshold "5"',
      { failureThreshold: '5' },
      'circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received "5")',
    ],
    [
      'failureRatio 0',
      { failureRatio: 0 },
      'circuitBreaker.failureRatio must be a number greater than 0 and at most 1 (received 0)',
    ],
    [
      'failureRatio 1.5',
      { failureRatio: 1.5 },
      'circuitBreaker.failureRatio must be a number greater than 0 and at most 1 (received 1.5)',
    ],
    [
      'failureRatio NaN',
      { failureRatio: NaN },
      'circuitBreaker.failureRatio must be a number greater than 0 and at most 1 (received NaN)',
    ],
    [
      'minimumThroughput 0',
      { minimumThroughput: 0 },
      'circuitBreaker.minimumThroughput must be an integer from 1 to 1000000 (received 0)',
    ],
    [
      'samplingDurationMs 50',
      { samplingDurationMs: 50 },
      'circuitBreaker.samplingDurationMs must be an integer from 100 to 86400000 (received 50)',
    ],
    [
      'halfOpenAfterMs Infinity',
      { halfOpenAfterMs: Infinity },
      'circuitBreaker.halfOpenAfterMs must be an integer from 1 to 86400000 (received Infinity)',
    ],
    [
      'maxHalfOpenAfterMs -1',
      { maxHalfOpenAfterMs: -1 },
      'circuitBreaker.maxHalfOpenAfterMs must be an integer from 1 to 86400000 (received -1)',
    ],
    [
      'halfOpenMaxCalls 0',
      { halfOpenMaxCalls: 0 },
      'circuitBreaker.halfOpenMaxCalls must be an integer from 1 to 1000 (received 0)',
    ],
    [
      'halfOpenMaxCalls null',
      { halfOpenMaxCalls: null },
      'circuitBreaker.halfOpenMaxCalls must be an integer from 1 to 1000 (received null)',
    ],
    [
      'both opening rules',
      { failureThreshold: 5, failureRatio: 0.5 },
      'circuitBreaker.failureThreshold and circuitBreaker.failureRatio cannot both be set ' +
        '(failureThreshold counts consecutive failures; failureRatio the share of failures over samplingDurationMs)',
    ],
    [
      'a cap below the wait',
      { halfOpenAfterMs: 10_000, maxHalfOpenAfterMs: 5000 },
      'circuitBreaker.maxHalfOpenAfterMs must be at least circuitBreaker.halfOpenAfterMs (10000) (received 5000)',
    ],
    [
      'a cap below the default wait',
      { maxHalfOpenAfterMs: 5000 },
      'circuitBreaker.maxHalfOpenAfterMs must be at least circuitBreaker.halfOpenAfterMs (30000) (received 5000)',
    ],
    [
      'a misspelt key',
      { failureTreshold: 3 },
      'circuitBreaker.failureTreshold is not a circuit breaker option (did you mean failureThreshold?)',
    ],
    ['an unknown key', { color: 'red' }, 'circuitBreaker.color is not a circuit breaker option'],
    ['null', null, 'circuitBreaker must be true, false or an object of circuit breaker options (received null)'],
    ['a number', 5, 'circuitBreaker must be true, false or an object of circuit breaker options (received 5)'],
    ['an array', [], 'circuitBreaker must be true, false or an object of circuit breaker options (received an array)'],
    [
      'a class instance',
      new Date(0),
      'circuitBreaker must be true, false or an object of circuit breaker options (received an instance of Date)',
    ],
  ])('rejects %s', (_label, input, message) => {
    const result = validateCircuitBreakerOptions(input);
    expect(result.value).toBeUndefined();
    expect(result.issues.map((issue) => issue.message)).toEqual([message]);
    expect(message).toContain(result.issues[0].field); // the message names the field
  });

  it('lists every problem at once', () => {
    const { value, issues } = validateCircuitBreakerOptions({
      failureThreshold: 0,
      failureRatio: 2,
      minimumThroughput: -1,
      samplingDurationMs: 'long',
      halfOpenAfterMs: 0.5,
      maxHalfOpenAfterMs: 0,
      halfOpenMaxCalls: 1e6,
      halfOpenMaxCall: 2,
    });
    expect(value).toBeUndefined();
    expect(issues).toEqual([
      {
        field: 'circuitBreaker.halfOpenMaxCall',
        message: 'circuitBreaker.halfOpenMaxCall is not a circuit breaker option (did you mean halfOpenMaxCalls?)',
      },
      {
        field: 'circuitBreaker.failureThreshold',
        message: 'circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received 0)',
      },
      {
        field: 'circuitBreaker.minimumThroughput',
        message: 'circuitBreaker.minimumThroughput must be an integer from 1 to 1000000 (received -1)',
      },
      {
        field: 'circuitBreaker.samplingDurationMs',
        message: 'circuitBreaker.samplingDurationMs must be an integer from 100 to 86400000 (received "long")',
      },
      {
        field: 'circuitBreaker.halfOpenAfterMs',
        message: 'circuitBreaker.halfOpenAfterMs must be an integer from 1 to 86400000 (received 0.5)',
      },
      {
        field: 'circuitBreaker.maxHalfOpenAfterMs',
        message: 'circuitBreaker.maxHalfOpenAfterMs must be an integer from 1 to 86400000 (received 0)',
      },
      {
        field: 'circuitBreaker.halfOpenMaxCalls',
        message: 'circuitBreaker.halfOpenMaxCalls must be an integer from 1 to 1000 (received 1000000)',
      },
      {
        field: 'circuitBreaker.failureRatio',
        message: 'circuitBreaker.failureRatio must be a number greater than 0 and at most 1 (received 2)',
      },
      expect.objectContaining({
        field: 'circuitBreaker.failureRatio',
        message: expect.stringContaining('cannot both be set'),
      }),
    ]);
  });

  it('does not compare the cap with a broken halfOpenAfterMs', () => {
    const { issues } = validateCircuitBreakerOptions({ halfOpenAfterMs: -5, maxHalfOpenAfterMs: 1000 });
    expect(issues.map((issue) => issue.field)).toEqual(['circuitBreaker.halfOpenAfterMs']);
  });

  it('prefixes fields with the given path for nested configs', () => {
    const { issues } = validateCircuitBreakerOptions({ failureThreshold: 0 }, 'retryConfig.circuitBreaker');
    expect(issues).toEqual([
      {
        field: 'retryConfig.circuitBreaker.failureThreshold',
        message: 'retryConfig.circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received 0)',
      },
    ]);
  });
});

describe('CircuitBreaker: state adopted from other replicas', () => {
  it('adoptOpen opens a closed circuit for the given time, reported as a transition', () => {
    const { clock, breaker, events } = setup({ failureThreshold: 5, halfOpenAfterMs: 1000 });
    play(breaker, 'ff');
    breaker.adoptOpen(3000, 5);
    expect(events).toEqual([{ from: 'closed', to: 'open', failures: 5, retryAfterMs: 3000 }]);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 3000 });
    clock.advance(3000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
  });

  it('adoptOpen only extends an open circuit (no second transition), and ignores nonsense', () => {
    const { clock, breaker, events } = setup({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    play(breaker, 'f');
    breaker.adoptOpen(500, 1); // shorter: nothing changes
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 1000 });
    breaker.adoptOpen(4000, 1);
    for (const bad of [0, -5, Number.NaN, Infinity]) breaker.adoptOpen(bad, 1);
    expect(events).toHaveLength(1);
    clock.advance(1000);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 3000 });
  });

  it('adoptClosed closes an open or half-open circuit and resets the counts; a closed one is left alone', () => {
    const { clock, breaker, events } = setup({ failureThreshold: 2, halfOpenAfterMs: 1000 });
    breaker.adoptClosed();
    expect(events).toEqual([]);
    play(breaker, 'ff');
    clock.advance(1000);
    expect(breaker.state).toBe('half_open');
    breaker.adoptClosed();
    expect(breaker.state).toBe('closed');
    expect(events.map((event) => event.to)).toEqual(['open', 'half_open', 'closed']);
    play(breaker, 'f');
    expect(breaker.state).toBe('closed'); // the count started again
  });
});
