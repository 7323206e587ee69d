import {
  CIRCUIT_BREAKER_DEFAULTS,
  CircuitBreakerRegistry,
  ResolvedCircuitBreakerOptions,
  validateCircuitBreakerOptions,
} from '../../../src/policies/breaker';

const resolve = (input: object): ResolvedCircuitBreakerOptions => validateCircuitBreakerOptions(input).value!;

describe('CircuitBreakerRegistry', () => {
  const now = () => 0;

  it('returns one breaker per key', () => {
    const registry = new CircuitBreakerRegistry();
    const a = registry.get('openai:gpt-4o', CIRCUIT_BREAKER_DEFAULTS, now);
    expect(registry.get('openai:gpt-4o', CIRCUIT_BREAKER_DEFAULTS, now)).toBe(a);
    expect(registry.get('azure:mini', CIRCUIT_BREAKER_DEFAULTS, now)).not.toBe(a);
    expect(registry.keys()).toEqual(['openai:gpt-4o', 'azure:mini']);
  });

  it('shares state between the users of a key', () => {
    const registry = new CircuitBreakerRegistry();
    const options = resolve({ failureThreshold: 1 });
    registry.get('k', options, now).recordFailure(false);
    expect(registry.get('k', options, now).state).toBe('open');
    expect(registry.get('other', options, now).state).toBe('closed');
  });

  it('keeps the first options and reports a conflicting registration', () => {
    const registry = new CircuitBreakerRegistry();
    const first = resolve({ failureThreshold: 3 });
    const second = resolve({ failureThreshold: 7 });
    expect(registry.optionsConflict('k', second)).toBe(false); // nothing registered yet
    registry.get('k', first, now);
    expect(registry.optionsConflict('k', resolve({ failureThreshold: 3 }))).toBe(false); // equal, not identical
    expect(registry.optionsConflict('k', second)).toBe(true);
    expect(registry.optionsConflict('k', resolve({ failureRatio: 0.5 }))).toBe(true);
    expect(registry.get('k', second, now).options.failureThreshold).toBe(3);
  });

  it('forgets a key on delete and every key on clear', () => {
    const registry = new CircuitBreakerRegistry();
    const a = registry.get('a', CIRCUIT_BREAKER_DEFAULTS, now);
    registry.get('b', CIRCUIT_BREAKER_DEFAULTS, now);
    expect(registry.delete('a')).toBe(true);
    expect(registry.delete('a')).toBe(false);
    expect(registry.keys()).toEqual(['b']);
    expect(registry.get('a', CIRCUIT_BREAKER_DEFAULTS, now)).not.toBe(a);
    registry.clear();
    expect(registry.keys()).toEqual([]);
  });

  it('does not register a key whose options are invalid', () => {
    const registry = new CircuitBreakerRegistry();
    const bad = { ...CIRCUIT_BREAKER_DEFAULTS, halfOpenMaxCalls: 0 };
    expect(() => registry.get('k', bad, now)).toThrow(TypeError);
    expect(registry.keys()).toEqual([]);
  });
});
