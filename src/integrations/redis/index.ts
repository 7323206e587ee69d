/**
 * `llm-resilience/redis`: replicas share what they learn about an upstream through Redis.
 * `ioredis` is an optional peer dependency: this entry point never loads it, you pass a client.
 */
export { createRedisStateStore } from './redis-state-store';
export type { RedisStateStore, RedisStateStoreOptions } from './redis-state-store';
export type {
  CircuitProbeClaim,
  CircuitProbeLimits,
  SharedBudgetOptions,
  SharedCircuitOptions,
  SharedCircuitOutcome,
  SharedStateEvent,
  SharedStateStore,
} from '../../ports/shared-state-store';
