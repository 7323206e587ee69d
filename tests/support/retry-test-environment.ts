import { configureResilience, resetResilience, ResilienceSettings } from '../../src';
import { createTestLogger } from './test-logger';

/**
 * Per-test set-up of the decorator suites: fresh settings, a memory logger, random() = 0.5
 * (so full jitter gives delays of 500, 1000, 2000 ms) and fake timers for the retry sleeps.
 */
export function useRetryTestEnvironment(settings: () => ResilienceSettings = () => ({})): {
  readonly log: ReturnType<typeof createTestLogger>;
} {
  const environment = { log: undefined as unknown as ReturnType<typeof createTestLogger> };
  beforeEach(() => {
    resetResilience();
    environment.log = createTestLogger();
    configureResilience({ logger: environment.log.logger, random: () => 0.5, ...settings() });
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
  });
  afterEach(() => {
    jest.useRealTimers();
    resetResilience();
  });
  return environment;
}
