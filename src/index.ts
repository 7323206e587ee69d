// The public API of llm-resilience: what this file exports is public; everything else
// (src/internal, and names marked @internal) may change without notice.

export { RetryConfig, isRetryConfig } from './config/retry-config';
export type { RetryConfigFields, RetryConfigField } from './config/retry-config';
export { RetryConfigError, isRetryConfigError } from './config/retry-config-error';
export type { RetryConfigIssue } from './config/retry-config-error';
export { RETRY_DEFAULTS, RETRY_ENV_VARS, JITTER_MODES } from './config/defaults';
export type { JitterMode } from './config/defaults';
export { configureResilience, resetResilience, missingConfigNames } from './config/resilience-settings';
export type { ResilienceSettings } from './config/resilience-settings';

export { computeBackoffDelay } from './strategies/retry';
export { parseRetryAfterMs } from './classification/retry-after';
export type { BackoffSettings } from './strategies/retry/compute-backoff-delay';
export {
  classifyError,
  shouldRetryOpenAIError,
  shouldRetryAzureError,
  shouldRetryNetworkError,
} from './classification/classify-error';
export type { FailureKind, ErrorClassification } from './classification/failure-kind';

export { Retry } from './decorators/retry';
export { RetryOpenAI } from './decorators/retry-openai';
export { RetryAzure } from './decorators/retry-azure';
export { RetryNetwork } from './decorators/retry-network';
export type { RetryOptions, GenericRetryOptions, RetryMethodDecorator, RetryInfo } from './pipeline/retry-options';
// The same engine without decorators: execute(fn) and stream(fn) under one retry policy.
export { createResiliencePipeline } from './pipeline/create-resilience-pipeline';
export type { ResiliencePipeline, ResiliencePipelineOptions } from './pipeline/create-resilience-pipeline';

export { getRetryContext } from './engine/retry-context';
// What this process knows of one upstream key (health endpoints, tests), and forgetting it.
export { getUpstreamState, resetUpstream } from './upstreams/upstream-state';
export { upstreamKeyOf } from './decorators/upstream-key-of';
export type { UpstreamState } from './upstreams/upstream-state';
export type { RetryContext } from './engine/retry-context';
export type {
  CircuitProbeClaim,
  CircuitProbeLimits,
  SharedBudgetOptions,
  SharedCircuitOptions,
  SharedCircuitOutcome,
  SharedStateEvent,
  SharedStateStore,
} from './ports/shared-state-store';
export {
  RetryTimeoutError,
  AttemptTimeoutError,
  isRetryTimeoutError,
  isAttemptTimeoutError,
} from './strategies/timeout/timeout-errors';
export { CircuitOpenError, isCircuitOpenError } from './strategies/circuit-breaker/circuit-open-error';
export { UpstreamThrottledError, isUpstreamThrottledError } from './strategies/rate-limit/upstream-throttled-error';
export type { UpstreamThrottledReason } from './strategies/rate-limit/upstream-throttled-error';
export { CIRCUIT_BREAKER_DEFAULTS } from './strategies/circuit-breaker/circuit-breaker-options';
export type { CircuitBreakerOptions } from './strategies/circuit-breaker/circuit-breaker-options';
export { RETRY_BUDGET_DEFAULTS } from './strategies/retry-budget/retry-budget-options';
export type { RetryBudgetOptions, ResolvedRetryBudgetOptions } from './strategies/retry-budget/retry-budget-options';
export { BulkheadRejectedError, isBulkheadRejectedError } from './strategies/bulkhead/bulkhead-rejected-error';
export {
  StreamInterruptedError,
  isStreamInterruptedError,
  StreamEventError,
  isStreamEventError,
  StreamTimeoutError,
  isStreamTimeoutError,
} from './strategies/stream-commit';
export type { FailureEventType, StreamInterruption, StreamPosition } from './strategies/stream-commit';
export type { BulkheadSettings } from './config/defaults';

export { redactSecrets } from './observability/redact-secrets';
export type { RedactSecretsOptions } from './observability/redact-secrets';
export type { ResilienceLogger } from './observability/default-logger';
export type { Tracer } from './observability/tracer';
export { TRACE_EVENTS } from './observability/tracer';

// LLM layer: resilient OpenAI / Azure OpenAI services on top of the decorators.
export { LLMProvider } from './llm/llm-provider';
export { AgentConfig, isAgentConfig } from './llm/agent-config';
export type { AgentConfigInput, LLMApi } from './llm/agent-config';
export { AgentExecutionError, isAgentExecutionError } from './llm/agent-execution-error';
export { DEFAULT_SAFE_MESSAGES } from './llm/safe-messages';
export type { SafeMessage, SafeMessages } from './llm/safe-messages';
export { LLMServiceFactory } from './llm/llm-service-factory';
export type { LLMClient, LLMServiceFactoryOptions } from './llm/llm-service-factory';
export { warnIfSdkRetries } from './llm/warn-if-sdk-retries';
export { LLMExecutor } from './llm/llm-executor';
export type { LLMCallOptions, LLMExecutorOptions } from './llm/llm-executor';
export type { JsonSchema } from './llm/json-schema-check';
export { SchemaValidationError, isSchemaValidationError, TokenProviderError } from './llm/llm-errors';
export { ResilientLLMService } from './llm/resilient-llm-service';
export type { ChatRequest, ResilientLLMServiceOptions } from './llm/resilient-llm-service';
export type { ResponseRequest, EmbeddingsRequest } from './llm/responses-api';
export { AgentOrchestrator, RESILIENT_LLM_FAILURE } from './llm/agent-orchestrator';
export type { AgentOrchestratorOptions, OrchestrationResponse } from './llm/agent-orchestrator';
