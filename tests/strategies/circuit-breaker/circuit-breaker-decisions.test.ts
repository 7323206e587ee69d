// Decisions of the circuit breaker that a mutation once changed unnoticed (npm run test:mutation -- circuit-breaker).
import {
  CIRCUIT_BREAKER_DEFAULTS,
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitTransition,
  validateCircuitBreakerOptions,
} from '../../../src/strategies/circuit-breaker';

function setup(input: CircuitBreakerOptions = {}) {
  let time = 0;
  const { value, issues } = validateCircuitBreakerOptions(input);
  if (!value) throw new Error(`unexpected issues: ${issues.map((issue) => issue.message).join('; ')}`);
  const breaker = new CircuitBreaker(value, () => time);
  const events: CircuitTransition[] = [];
  breaker.onTransition((event) => events.push(event));
  return {
    breaker,
    events,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

/** Opens the circuit (threshold 1) and waits until it is half-open. */
function halfOpen(input: CircuitBreakerOptions = {}) {
  const context = setup({ failureThreshold: 1, halfOpenAfterMs: 1000, ...input });
  context.breaker.recordFailure(false);
  context.advance(1000);
  expect(context.breaker.state).toBe('half_open');
  return context;
}

describe('CircuitBreaker: probe slots', () => {
  it("an ignored outcome of a call that was not a probe frees no probe's slot", () => {
    const { breaker } = halfOpen({ halfOpenMaxCalls: 1 });
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.recordIgnored(false);
    expect(breaker.probesInFlight).toBe(1);
    expect(breaker.acquire()).toMatchObject({ allowed: false });
  });

  it('an ignored probe frees its slot and leaves the circuit half-open', () => {
    const { breaker, events } = halfOpen({ halfOpenMaxCalls: 1 });
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.recordIgnored(true);
    expect(breaker.probesInFlight).toBe(0);
    expect(breaker.state).toBe('half_open');
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(events.map((event) => event.to)).toEqual(['open', 'half_open']);
  });

  it('success or failure of a call that was not a probe neither frees a slot nor decides', () => {
    const { breaker } = halfOpen({ halfOpenMaxCalls: 1 });
    breaker.acquire();
    breaker.recordSuccess(false);
    breaker.recordFailure(false);
    expect(breaker.probesInFlight).toBe(1);
    expect(breaker.state).toBe('half_open');
  });

  it('reporting a probe with no probe in flight leaves the count at 0', () => {
    const { breaker } = halfOpen({ halfOpenMaxCalls: 2 });
    breaker.recordIgnored(true);
    expect(breaker.probesInFlight).toBe(0);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire()).toMatchObject({ allowed: false });
  });
});

describe('CircuitBreaker: listeners', () => {
  it('unsubscribing the first listener keeps the second', () => {
    const breaker = new CircuitBreaker(validateCircuitBreakerOptions({ failureThreshold: 1 }).value!, () => 0);
    const first: string[] = [];
    const second: string[] = [];
    const unsubscribe = breaker.onTransition((event) => first.push(event.to));
    breaker.onTransition((event) => second.push(event.to));
    unsubscribe();
    breaker.recordFailure(false);
    expect(first).toEqual([]);
    expect(second).toEqual(['open']);
  });

  it('unsubscribing twice removes one subscription only', () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const seen: string[] = [];
    const listener = (event: CircuitTransition) => seen.push(event.to);
    const unsubscribe = breaker.onTransition(listener);
    breaker.onTransition(listener);
    unsubscribe();
    unsubscribe();
    breaker.recordFailure(false);
    expect(seen).toEqual(['open']);
  });

  it('an unknown listener is not removed', () => {
    const { breaker, events } = setup({ failureThreshold: 1 });
    const unsubscribe = breaker.onTransition(() => undefined);
    unsubscribe();
    breaker.recordFailure(false);
    expect(events).toHaveLength(1);
  });
});

describe('CircuitBreaker: adopting an opening', () => {
  it.each([0, -1, Number.NaN, Infinity, -Infinity])(
    'adoptOpen(%p) on a closed circuit changes nothing',
    (openForMs) => {
      const { breaker, events } = setup({ failureThreshold: 2 });
      breaker.recordFailure(false);
      breaker.adoptOpen(openForMs, 3);
      expect(breaker.state).toBe('closed');
      expect(events).toEqual([]);
      breaker.recordFailure(false);
      expect(breaker.state).toBe('open'); // the count was kept
    },
  );

  it('adoptOpen reports the failures it was given, 0 when they make no sense', () => {
    for (const [failures, reported] of [
      [4, 4],
      [0, 0],
      [-2, 0],
      [Number.NaN, 0],
      [Infinity, 0],
    ]) {
      const { breaker, events } = setup();
      breaker.adoptOpen(2000, failures);
      expect(events).toEqual([{ from: 'closed', to: 'open', failures: reported, retryAfterMs: 2000 }]);
    }
  });

  it('adoptOpen on a half-open circuit opens it and resets the count', () => {
    const { breaker, events, advance } = halfOpen();
    breaker.adoptOpen(500, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.opensInMs).toBe(500);
    advance(499);
    expect(breaker.state).toBe('open');
    advance(1);
    expect(breaker.state).toBe('half_open');
    expect(events.map((event) => event.to)).toEqual(['open', 'half_open', 'open', 'half_open']);
  });

  it('adoptOpen of a later end extends the wait reported to callers', () => {
    const { breaker, advance } = setup({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    breaker.recordFailure(false);
    advance(600);
    breaker.adoptOpen(900, 1); // ends at 1500, after 1000
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 900 });
    expect(breaker.opensInMs).toBe(900);
  });
});

describe('CircuitBreaker: probe timeouts', () => {
  it("a probe's own timeout decides when a full half-open circuit lets the next call try", () => {
    const { breaker, advance } = halfOpen({ halfOpenMaxCalls: 1, probeTimeoutMs: 30_000 });
    expect(breaker.acquire(500)).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 500 });
    advance(499);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 1 });
    advance(10_000); // long past the probe's end: still at least 1
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 1 });
  });

  it.each([0, -5])('a probe timeout of %p means the options', (probeTimeoutMs) => {
    const { breaker } = halfOpen({ halfOpenMaxCalls: 1, probeTimeoutMs: 4000 });
    expect(breaker.acquire(probeTimeoutMs)).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 4000 });
  });

  it('the probe that ends first decides', () => {
    const { breaker } = halfOpen({ halfOpenMaxCalls: 2 });
    breaker.acquire(1000);
    breaker.acquire(300);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 300 });
  });

  it('a listener that re-opens the circuit as it turns half-open refuses the call', () => {
    const { breaker, advance } = setup({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    breaker.onTransition((event) => {
      if (event.to === 'half_open') breaker.adoptOpen(2000, 1);
    });
    breaker.recordFailure(false);
    advance(1000);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 2000 });
    expect(breaker.probesInFlight).toBe(0);
  });
});

describe('CircuitBreaker: transition events', () => {
  it('only openings carry retryAfterMs', () => {
    const { breaker, events, advance } = setup({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    breaker.recordFailure(false);
    advance(1000);
    const probe = breaker.acquire();
    breaker.recordSuccess(probe.allowed && probe.probe);
    expect(events).toStrictEqual([
      { from: 'closed', to: 'open', failures: 1, retryAfterMs: 1000 },
      { from: 'open', to: 'half_open', failures: 0 },
      { from: 'half_open', to: 'closed', failures: 0 },
    ]);
  });
});

describe('CircuitBreaker: construction', () => {
  it('names every issue of hand-built options, or says they are required', () => {
    const invalid = { ...CIRCUIT_BREAKER_DEFAULTS, failureThreshold: 0, halfOpenMaxCalls: 0 } as never;
    expect(() => new CircuitBreaker(invalid, () => 0)).toThrow(
      new TypeError(
        'CircuitBreaker: circuitBreaker.failureThreshold must be an integer from 1 to 1000 (received 0); circuitBreaker.halfOpenMaxCalls must be an integer from 1 to 1000 (received 0)',
      ),
    );
    expect(() => new CircuitBreaker(undefined as never, () => 0)).toThrow(
      new TypeError('CircuitBreaker: options are required'),
    );
    const { value } = validateCircuitBreakerOptions({});
    expect(() => new CircuitBreaker(value!, 5 as never)).toThrow(
      new TypeError('CircuitBreaker: now must be a function returning milliseconds'),
    );
  });

  it('a broken halfOpenAfterMs is reported alone, not compared with the cap', () => {
    expect(
      validateCircuitBreakerOptions({ halfOpenAfterMs: -1, maxHalfOpenAfterMs: 10 }).issues.map((i) => i.field),
    ).toEqual(['circuitBreaker.halfOpenAfterMs']);
    expect(validateCircuitBreakerOptions({ halfOpenAfterMs: 2000, maxHalfOpenAfterMs: 1000 }).issues).toEqual([
      {
        field: 'circuitBreaker.maxHalfOpenAfterMs',
        message:
          'circuitBreaker.maxHalfOpenAfterMs must be at least circuitBreaker.halfOpenAfterMs (2000) (received 1000)',
      },
    ]);
  });

  it('opensInMs is undefined unless open', () => {
    const { breaker, advance } = setup({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    expect(breaker.opensInMs).toBeUndefined();
    breaker.recordFailure(false);
    expect(breaker.opensInMs).toBe(1000);
    advance(999.5);
    expect(breaker.opensInMs).toBe(1);
    advance(0.5);
    expect(breaker.opensInMs).toBeUndefined();
  });
});
