// nodenext, an ES module: resolved through "exports" to the .d.mts entry points.
// Type-checked by scripts/compat/run.sh; never run.
import { RetryConfig, RetryOpenAI, isRetryTimeoutError } from 'llm-resilience';
import { ResilienceModule } from 'llm-resilience/nestjs';
import { createRedisStateStore } from 'llm-resilience/redis';
import { startFaultServer } from 'llm-resilience/testing';

export const used = [RetryConfig, RetryOpenAI, isRetryTimeoutError, ResilienceModule, createRedisStateStore];
export const server = await startFaultServer({ script: ['503', 'ok'] });
