import { RETRY_BUDGET_DEFAULTS, RetryBudgetRegistry } from '../../../src/policies/budget';

describe('RetryBudgetRegistry', () => {
  it('returns one budget per key, shared by its users', () => {
    const registry = new RetryBudgetRegistry();
    const a = registry.get('openai:gpt-4o', RETRY_BUDGET_DEFAULTS);
    expect(registry.get('openai:gpt-4o', RETRY_BUDGET_DEFAULTS)).toBe(a);
    a.withdraw('retry');
    expect(registry.get('openai:gpt-4o', RETRY_BUDGET_DEFAULTS).available).toBe(495);
    expect(registry.get('azure:mini', RETRY_BUDGET_DEFAULTS).available).toBe(500);
    expect(registry.keys()).toEqual(['openai:gpt-4o', 'azure:mini']);
  });

  it('keeps the first options and reports a conflicting registration', () => {
    const registry = new RetryBudgetRegistry();
    const other = { ...RETRY_BUDGET_DEFAULTS, capacity: 100 };
    expect(registry.optionsConflict('k', other)).toBe(false); // nothing registered yet
    registry.get('k', RETRY_BUDGET_DEFAULTS);
    expect(registry.optionsConflict('k', { ...RETRY_BUDGET_DEFAULTS })).toBe(false); // equal, not identical
    expect(registry.optionsConflict('k', other)).toBe(true);
    expect(registry.get('k', other).options.capacity).toBe(500);
  });

  it('forgets a key on delete (the next get starts full) and every key on clear', () => {
    const registry = new RetryBudgetRegistry();
    registry.get('a', RETRY_BUDGET_DEFAULTS).withdraw('timeout');
    registry.get('b', RETRY_BUDGET_DEFAULTS);
    expect(registry.delete('a')).toBe(true);
    expect(registry.delete('a')).toBe(false);
    expect(registry.get('a', RETRY_BUDGET_DEFAULTS).available).toBe(500);
    registry.clear();
    expect(registry.keys()).toEqual([]);
  });

  it('does not register a key whose options are invalid', () => {
    const registry = new RetryBudgetRegistry();
    expect(() => registry.get('k', { ...RETRY_BUDGET_DEFAULTS, retryCost: 0 })).toThrow(TypeError);
    expect(registry.keys()).toEqual([]);
  });
});
