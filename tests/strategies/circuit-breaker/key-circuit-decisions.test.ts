// One key's circuit (KeyCircuit) and CircuitOpenError: decisions a mutation once changed
// unnoticed (npm run test:mutation -- circuit-breaker). The store is an in-memory recorder of
// what would be shared; the clock is jest's.
import { inspect } from 'node:util';
import {
  CircuitOpenError,
  isCircuitOpenError,
  validateCircuitBreakerOptions,
  type CircuitBreakerOptions,
} from '../../../src/strategies/circuit-breaker';
import { KeyCircuit } from '../../../src/strategies/circuit-breaker/key-circuit';
import { classifyError } from '../../../src/classification';

const T0 = Date.parse('2025-01-01T00:00:00Z');

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});
afterEach(() => {
  jest.useRealTimers();
});

function options(input: CircuitBreakerOptions = {}) {
  const { value, issues } = validateCircuitBreakerOptions(input);
  if (!value) throw new Error(issues.map((issue) => issue.message).join('; '));
  return value;
}

function keyCircuit(withStore = true) {
  const shared: unknown[] = [];
  const store = { shareCircuitOutcome: (key: string, report: unknown) => shared.push([key, report]) };
  return { circuit: new KeyCircuit({ key: 'k', store: () => (withStore ? (store as never) : undefined) }), shared };
}

describe('KeyCircuit: the breaker', () => {
  it('is created once; other options are a conflict, the same ones are not', () => {
    const { circuit } = keyCircuit();
    expect(circuit.existing()).toBeUndefined();
    expect(circuit.state()).toBeUndefined();
    const first = circuit.breaker(options({ failureThreshold: 3 }));
    expect(first.conflict).toBe(false);
    expect(circuit.breaker(options({ failureThreshold: 3 }))).toEqual({ breaker: first.breaker, conflict: false });
    expect(circuit.breaker(options({ failureThreshold: 4 }))).toEqual({ breaker: first.breaker, conflict: true });
    expect(circuit.existing()).toBe(first.breaker);
    expect(circuit.state()).toBe('closed');
  });

  it('an opening heard before the breaker existed is adopted on creation, bounded by maxHalfOpenAfterMs', () => {
    const { circuit } = keyCircuit();
    expect(circuit.adoptOpen(90_000, 4)).toEqual([]);
    jest.setSystemTime(T0 + 1000);
    const { breaker } = circuit.breaker(options({ halfOpenAfterMs: 1000, maxHalfOpenAfterMs: 30_000 }));
    expect(breaker.state).toBe('open');
    expect(breaker.opensInMs).toBe(30_000);
  });

  it('an opening heard before, shorter than the bound, keeps its own end', () => {
    const { circuit } = keyCircuit();
    circuit.adoptOpen(5000, 2);
    jest.setSystemTime(T0 + 1000);
    const { breaker } = circuit.breaker(options({ maxHalfOpenAfterMs: 30_000 }));
    expect(breaker.opensInMs).toBe(4000);
  });

  it('an opening heard before that has ended by creation is forgotten', () => {
    const { circuit } = keyCircuit();
    circuit.adoptOpen(5000, 2);
    jest.setSystemTime(T0 + 5000);
    expect(circuit.breaker(options()).breaker.state).toBe('closed');
  });

  it('a closing heard before the breaker existed cancels an opening heard before', () => {
    const { circuit } = keyCircuit();
    circuit.adoptOpen(5000, 2);
    expect(circuit.adoptClosed()).toEqual([]);
    expect(circuit.breaker(options()).breaker.state).toBe('closed');
  });

  it('adoptOpen and adoptClosed on an existing breaker return its transitions', () => {
    const { circuit } = keyCircuit();
    circuit.breaker(options());
    expect(circuit.adoptOpen(2000, 3)).toEqual([{ from: 'closed', to: 'open', failures: 3, retryAfterMs: 2000 }]);
    expect(circuit.adoptClosed()).toEqual([{ from: 'open', to: 'closed', failures: 0 }]);
  });

  it('observeTransitions gives each action its own transitions, nested or after a throw', () => {
    const { circuit } = keyCircuit();
    const { breaker } = circuit.breaker(options({ failureThreshold: 1 }));
    const outer = circuit.observeTransitions(() => {
      const inner = circuit.observeTransitions(() => breaker.recordFailure(false));
      expect(inner.transitions.map((t) => t.to)).toEqual(['open']);
      breaker.adoptClosed();
      return 'done';
    });
    expect(outer).toEqual({ result: 'done', transitions: [{ from: 'open', to: 'closed', failures: 0 }] });
    expect(() =>
      circuit.observeTransitions(() => {
        throw new Error('x');
      }),
    ).toThrow('x');
    const after = circuit.observeTransitions(() => breaker.recordFailure(false));
    expect(after.transitions.map((t) => t.to)).toEqual(['open']);
  });
});

describe('KeyCircuit: sharing outcomes', () => {
  it('consecutive mode: failures are shared; a success only while the shared count may be above 0', () => {
    const { circuit, shared } = keyCircuit();
    const { breaker } = circuit.breaker(options({ failureThreshold: 5 }));
    circuit.share(breaker, 'success', false);
    expect(shared).toEqual([]);
    expect(circuit.sharedFailing).toBe(false);
    circuit.share(breaker, 'failure', false);
    expect(circuit.sharedFailing).toBe(true);
    circuit.share(breaker, 'ignored', false);
    expect(shared).toHaveLength(1); // an ignored outcome says nothing
    expect(circuit.sharedFailing).toBe(true);
    circuit.share(breaker, 'success', false);
    circuit.share(breaker, 'success', false);
    expect(circuit.sharedFailing).toBe(false);
    expect(shared).toEqual([
      ['k', { outcome: 'failure', successes: undefined }],
      ['k', { outcome: 'success' }],
    ]);
  });

  it('a closing heard from the store means the shared count is 0: the next success sends nothing', () => {
    const { circuit, shared } = keyCircuit();
    const { breaker } = circuit.breaker(options({ failureThreshold: 5 }));
    circuit.share(breaker, 'failure', false);
    circuit.adoptClosed();
    expect(circuit.sharedFailing).toBe(false);
    circuit.share(breaker, 'success', false);
    expect(shared).toEqual([['k', { outcome: 'failure', successes: undefined }]]);
  });

  it('probes are shared as probe_<outcome>', () => {
    const { circuit, shared } = keyCircuit();
    const { breaker } = circuit.breaker(options());
    circuit.share(breaker, 'success', true);
    circuit.share(breaker, 'failure', true);
    circuit.share(breaker, 'ignored', true);
    expect(shared).toEqual([
      ['k', { outcome: 'probe_success' }],
      ['k', { outcome: 'probe_failure' }],
      ['k', { outcome: 'probe_ignored' }],
    ]);
  });

  it('ratio mode: successes are counted within the window and sent with the next failure', () => {
    const { circuit, shared } = keyCircuit();
    const { breaker } = circuit.breaker(options({ failureRatio: 0.5, samplingDurationMs: 10_000 }));
    circuit.share(breaker, 'success', false);
    jest.setSystemTime(T0 + 10_000);
    circuit.share(breaker, 'success', false); // 10 s after the first: still in the window
    circuit.share(breaker, 'failure', false);
    circuit.share(breaker, 'success', false);
    jest.setSystemTime(T0 + 20_001);
    circuit.share(breaker, 'success', false); // more than the window after: the count starts again
    circuit.share(breaker, 'success', false);
    circuit.share(breaker, 'failure', false);
    circuit.share(breaker, 'failure', false);
    expect(shared).toEqual([
      ['k', { outcome: 'failure', successes: 2 }],
      ['k', { outcome: 'failure', successes: 2 }],
      ['k', { outcome: 'failure', successes: 0 }],
    ]);
    // Ratio mode never shares a bare success.
    expect(circuit.sharedFailing).toBe(true);
  });

  it('without a store, or with a store that throws, nothing breaks', () => {
    const { circuit } = keyCircuit(false);
    const { breaker } = circuit.breaker(options());
    expect(() => circuit.share(breaker, 'failure', false)).not.toThrow();
    expect(circuit.sharedFailing).toBe(false);
    const throwing = new KeyCircuit({
      key: 'k',
      store: () =>
        ({
          shareCircuitOutcome: () => {
            throw new Error('down');
          },
        }) as never,
    });
    expect(() => throwing.share(breaker, 'failure', false)).not.toThrow();
  });
});

describe('CircuitOpenError', () => {
  it('is a library error the classification knows, with its own name and message', () => {
    const error = new CircuitOpenError('openai|default|gpt-4o', 1500);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CircuitOpenError');
    expect(error.message).toBe('The service is temporarily unavailable');
    expect(isCircuitOpenError(error)).toBe(true);
    expect(isCircuitOpenError(new Error('x'))).toBe(false);
    expect(classifyError(error)).toEqual({ kind: 'circuit_open', retryable: false, reason: 'circuit open' });
  });

  it('prints its key, wait, frames and a summary of its cause, never the cause itself', () => {
    const cause = Object.assign(new Error('secret body'), { status: 503, headers: {}, error: {}, requestID: 'r' });
    const printed = inspect(new CircuitOpenError('k1', 250, { cause }));
    expect(printed).toMatch(/^CircuitOpenError: The service is temporarily unavailable\n\s+at /);
    expect(printed).toContain("key: 'k1'");
    expect(printed).toContain('retryAfterMs: 250');
    expect(printed).toContain("cause: 'Error (server, status 503)'");
    expect(printed).not.toContain('secret body');
    expect(printed.split('\n').length).toBeGreaterThan(2); // one frame a line
    expect(inspect(new CircuitOpenError('k5', 7), { colors: true })).toContain('\u001b[33m7\u001b[39m');

    const plain = inspect(new CircuitOpenError('k2', 10, { cause: 'text' }));
    expect(plain).toContain("cause: 'string (unknown)'");
    const noCause = inspect(new CircuitOpenError('k3', 10));
    expect(noCause).not.toContain('cause');
    expect(noCause).toMatch(/\{ key: 'k3', retryAfterMs: 10 \}$/);
  });

  it('prints without frames when it has no stack', () => {
    const error = new CircuitOpenError('k4', 5);
    error.stack = undefined;
    expect(inspect(error)).toBe(
      "CircuitOpenError: The service is temporarily unavailable { key: 'k4', retryAfterMs: 5 }",
    );
  });
});
