// Type tests pinning the public API of `llm-resilience` (src/index.ts): the names it exports,
// the field types of RetryConfig and AgentConfig, what the exported guards narrow to.
// Compiled by `npm run typecheck` in both decorator modes; never run. A change here is a
// change of the public API: say so in the CHANGELOG.
import * as api from '../../src';
import {
  AgentConfig,
  AgentExecutionError,
  AttemptTimeoutError,
  BulkheadRejectedError,
  CircuitOpenError,
  LLMProvider,
  RetryConfig,
  RetryConfigError,
  RetryTimeoutError,
  SchemaValidationError,
  StreamInterruptedError,
  classifyError,
  computeBackoffDelay,
  configureResilience,
  createResiliencePipeline,
  getRetryContext,
  isAgentConfig,
  isAgentExecutionError,
  isAttemptTimeoutError,
  isBulkheadRejectedError,
  isCircuitOpenError,
  isRetryConfig,
  isRetryConfigError,
  isRetryTimeoutError,
  isSchemaValidationError,
  isStreamInterruptedError,
  parseRetryAfterMs,
  shouldRetryAzureError,
  shouldRetryNetworkError,
  shouldRetryOpenAIError,
  type AgentConfigInput,
  type EmbeddingsRequest,
  type LLMApi,
  type ResilientLLMServiceOptions,
  type ResponseRequest,
  ResilientLLMService,
  type BulkheadSettings,
  type CircuitBreakerOptions,
  type ErrorClassification,
  type FailureKind,
  type JitterMode,
  type ResilienceLogger,
  type RetryBudgetOptions,
  type RetryConfigField,
  type RetryConfigFields,
  type RetryConfigIssue,
  type RetryContext,
  type ResiliencePipeline,
  type ResiliencePipelineOptions,
  type RetryOptions,
} from '../../src';
import { expectTrue, type Equals } from './expect-type';

// The runtime exports, exactly (type-only exports are pinned where they are used below).
expectTrue<
  Equals<
    keyof typeof api,
    | 'AgentConfig'
    | 'AgentExecutionError'
    | 'AgentOrchestrator'
    | 'AttemptTimeoutError'
    | 'BulkheadRejectedError'
    | 'CIRCUIT_BREAKER_DEFAULTS'
    | 'CircuitOpenError'
    | 'DEFAULT_SAFE_MESSAGES'
    | 'JITTER_MODES'
    | 'LLMExecutor'
    | 'LLMProvider'
    | 'LLMServiceFactory'
    | 'RESILIENT_LLM_FAILURE'
    | 'RETRY_BUDGET_DEFAULTS'
    | 'RETRY_DEFAULTS'
    | 'RETRY_ENV_VARS'
    | 'ResilientLLMService'
    | 'Retry'
    | 'RetryAzure'
    | 'RetryConfig'
    | 'RetryConfigError'
    | 'RetryNetwork'
    | 'RetryOpenAI'
    | 'RetryTimeoutError'
    | 'SchemaValidationError'
    | 'StreamInterruptedError'
    | 'StreamEventError'
    | 'StreamTimeoutError'
    | 'TRACE_EVENTS'
    | 'TokenProviderError'
    | 'UpstreamThrottledError'
    | 'classifyError'
    | 'computeBackoffDelay'
    | 'configureResilience'
    | 'createResiliencePipeline'
    | 'getRetryContext'
    | 'getUpstreamState'
    | 'isAgentConfig'
    | 'isAgentExecutionError'
    | 'isAttemptTimeoutError'
    | 'isBulkheadRejectedError'
    | 'isCircuitOpenError'
    | 'isRetryConfig'
    | 'isRetryConfigError'
    | 'isRetryTimeoutError'
    | 'isSchemaValidationError'
    | 'isStreamInterruptedError'
    | 'isStreamEventError'
    | 'isStreamTimeoutError'
    | 'isUpstreamThrottledError'
    | 'missingConfigNames'
    | 'parseRetryAfterMs'
    | 'redactSecrets'
    | 'resetResilience'
    | 'resetUpstream'
    | 'shouldRetryAzureError'
    | 'shouldRetryNetworkError'
    | 'shouldRetryOpenAIError'
    | 'upstreamKeyOf'
    | 'warnIfSdkRetries'
  >
>();

// --- RetryConfig -------------------------------------------------------------------------
expectTrue<Equals<JitterMode, 'full' | 'equal' | 'decorrelated' | 'none'>>();
expectTrue<
  Equals<
    RetryConfigFields,
    {
      maxAttempts: number;
      baseDelayMs: number;
      maxDelayMs: number;
      exponentialBase: number;
      jitter: JitterMode;
      respectRetryAfter: boolean;
      maxRetryAfterMs: number;
      attemptTimeoutMs?: number | null;
      totalTimeoutMs?: number | null;
      circuitBreaker?: CircuitBreakerOptions | boolean;
      retryBudget?: RetryBudgetOptions | boolean;
      bulkhead?: BulkheadSettings | false;
      key?: string;
      firstItemTimeoutMs?: number | null;
      idleTimeoutMs?: number | null;

      streamCommit?: (item: any) => boolean;
    }
  >
>();
expectTrue<Equals<RetryConfigField, keyof RetryConfigFields>>();
expectTrue<
  Equals<
    CircuitBreakerOptions,
    {
      failureThreshold?: number;
      failureRatio?: number;
      minimumThroughput?: number;
      samplingDurationMs?: number;
      halfOpenAfterMs?: number;
      maxHalfOpenAfterMs?: number;
      halfOpenMaxCalls?: number;
      probeTimeoutMs?: number;
    }
  >
>();
expectTrue<
  Equals<RetryBudgetOptions, { capacity?: number; retryCost?: number; timeoutCost?: number; successRefund?: number }>
>();
expectTrue<Equals<BulkheadSettings['maxConcurrency'], number>>();

// A RetryConfig has every field (defaults filled in), read-only (it is frozen), with `undefined`
// for a "none" timeout (given as null or not at all).
expectTrue<
  Equals<
    Pick<RetryConfig, RetryConfigField>,
    {
      readonly maxAttempts: number;
      readonly baseDelayMs: number;
      readonly maxDelayMs: number;
      readonly exponentialBase: number;
      readonly jitter: JitterMode;
      readonly respectRetryAfter: boolean;
      readonly maxRetryAfterMs: number;
      readonly attemptTimeoutMs?: number;
      readonly totalTimeoutMs?: number;
      readonly circuitBreaker?: Readonly<CircuitBreakerOptions> | boolean;
      readonly retryBudget?: Readonly<RetryBudgetOptions> | boolean;
      readonly key?: string;
      readonly bulkhead?: Readonly<BulkheadSettings> | false;
      readonly firstItemTimeoutMs?: number;
      readonly idleTimeoutMs?: number;

      readonly streamCommit?: (item: any) => boolean;
    }
  >
>();
expectTrue<Equals<ConstructorParameters<typeof RetryConfig>, [partial?: Partial<RetryConfigFields>]>>();
expectTrue<Equals<ReturnType<typeof RetryConfig.from>, RetryConfig>>();
expectTrue<Equals<Parameters<typeof RetryConfig.from>, [plain: unknown]>>();
expectTrue<Equals<ReturnType<typeof RetryConfig.fromEnv>, RetryConfig>>();

new RetryConfig({ maxAttempts: 4, jitter: 'none', circuitBreaker: false, bulkhead: { maxConcurrency: 2 } });
new RetryConfig({ attemptTimeoutMs: null, totalTimeoutMs: null }); // "none", over weaker layers
// @ts-expect-error a RetryConfig is read-only
new RetryConfig().maxAttempts = 5;
// @ts-expect-error null is for the timeouts only (false turns a switch off)
new RetryConfig({ retryBudget: null });
// @ts-expect-error unknown field
new RetryConfig({ retries: 3 });
// @ts-expect-error maxAttempts is a number
new RetryConfig({ maxAttempts: '4' });
// @ts-expect-error jitter is a JitterMode
new RetryConfig({ jitter: 'exponential' });

expectTrue<Equals<RetryConfigError['issues'], RetryConfigIssue[]>>();
expectTrue<Equals<RetryConfigIssue, { field: string; message: string }>>();

// --- AgentConfig -------------------------------------------------------------------------
expectTrue<Equals<`${LLMProvider}`, 'openai' | 'azure_openai'>>();
expectTrue<Equals<AgentConfig['provider'], LLMProvider>>();
expectTrue<Equals<AgentConfig['model'], string>>();
expectTrue<Equals<AgentConfig['retryConfig'], RetryConfig>>();
expectTrue<Equals<AgentConfig['fallbacks'], AgentConfig[] | undefined>>();
expectTrue<Equals<AgentConfig['azureADTokenProvider'], (() => Promise<string>) | undefined>>();
expectTrue<Equals<AgentConfig['baseURL' | 'endpoint' | 'apiVersion' | 'name' | 'key'], string | undefined>>();
expectTrue<Equals<ConstructorParameters<typeof AgentConfig>, [input: AgentConfigInput]>>();
expectTrue<Equals<AgentConfigInput['provider'], LLMProvider | 'openai' | 'azure_openai' | undefined>>();
expectTrue<Equals<AgentConfigInput['retryConfig'], RetryConfig | Partial<RetryConfigFields> | undefined>>();
expectTrue<Equals<ReturnType<typeof AgentConfig.from>, AgentConfig>>();
expectTrue<Equals<LLMApi, 'chat' | 'responses'>>();
expectTrue<Equals<AgentConfig['api'], LLMApi | undefined>>();
expectTrue<Equals<AgentConfigInput['api'], LLMApi | undefined>>();
// @ts-expect-error not an API
new AgentConfig({ provider: 'openai', model: 'gpt-4o', api: 'assistants' });

// --- ResilientLLMService: Responses API and embeddings --------------------------------------
expectTrue<
  Equals<
    ReturnType<ResilientLLMService['resilientResponse']>,
    Promise<import('openai/resources/responses/responses').Response>
  >
>();
expectTrue<
  Equals<
    ReturnType<ResilientLLMService['resilientResponseStream']>,
    AsyncGenerator<import('openai/resources/responses/responses').ResponseStreamEvent, void, undefined>
  >
>();
expectTrue<
  Equals<
    ReturnType<ResilientLLMService['resilientEmbeddings']>,
    Promise<import('openai/resources/embeddings').CreateEmbeddingResponse>
  >
>();
expectTrue<Equals<ResponseRequest['input'], string | import('openai/resources/responses/responses').ResponseInput>>();
expectTrue<Equals<EmbeddingsRequest['input'], string | string[]>>();
expectTrue<Equals<ResilientLLMServiceOptions['resume'], boolean | undefined>>();

new AgentConfig({
  provider: 'azure_openai',
  model: 'gpt-4o',
  retryConfig: { maxAttempts: 2 },
  fallbacks: [{ model: 'gpt-4o-mini' }],
});
new AgentConfig({ provider: LLMProvider.OPENAI, model: 'gpt-4o-mini', retryConfig: new RetryConfig() });
// @ts-expect-error not a provider
new AgentConfig({ provider: 'anthropic', model: 'claude' });
// @ts-expect-error unknown field
new AgentConfig({ provider: 'openai', modelName: 'gpt-4o' });
// @ts-expect-error the retry config's fields are checked too
new AgentConfig({ provider: 'openai', model: 'gpt-4o', retryConfig: { maxAttempts: 'many' } });

// --- Functions ---------------------------------------------------------------------------
expectTrue<Equals<ReturnType<typeof getRetryContext>, RetryContext | undefined>>();
expectTrue<
  Equals<RetryContext, { readonly attempt: number; readonly maxAttempts: number; readonly signal: AbortSignal }>
>();
expectTrue<Equals<ReturnType<typeof classifyError>, ErrorClassification>>();
expectTrue<Equals<ErrorClassification['kind'], FailureKind>>();
expectTrue<Equals<ErrorClassification['retryAfterMs'], number | undefined>>();
expectTrue<Equals<typeof shouldRetryOpenAIError, (error: unknown) => boolean>>();
expectTrue<Equals<typeof shouldRetryAzureError, (error: unknown) => boolean>>();
expectTrue<Equals<typeof shouldRetryNetworkError, (error: unknown) => boolean>>();
expectTrue<Equals<ReturnType<typeof computeBackoffDelay>, number>>();
expectTrue<Equals<ReturnType<typeof parseRetryAfterMs>, number | undefined>>();
expectTrue<Equals<ReturnType<typeof configureResilience>, void>>();

// A winston logger, console and a four-method object are all loggers.
const loggers: ResilienceLogger[] = [console, { error() {}, warn() {}, info() {}, debug() {} }];
void loggers;
configureResilience({
  defaults: { maxAttempts: 3 },
  configs: { fast: new RetryConfig({ maxAttempts: 2 }) },
  random: Math.random,
});
// @ts-expect-error unknown setting
configureResilience({ default: { maxAttempts: 3 } });
// @ts-expect-error defaults are checked field by field
configureResilience({ defaults: { jitter: 'sometimes' } });

// --- Pipeline ----------------------------------------------------------------------------
expectTrue<Equals<Parameters<typeof createResiliencePipeline>, [options?: ResiliencePipelineOptions]>>();
expectTrue<Equals<ReturnType<typeof createResiliencePipeline>, ResiliencePipeline>>();
expectTrue<Equals<keyof ResiliencePipeline, 'execute' | 'stream'>>();
expectTrue<Equals<ResiliencePipelineOptions['provider'], 'openai' | 'azure' | 'network' | undefined>>();
expectTrue<Equals<ResiliencePipelineOptions['shouldRetry'], ((error: unknown) => boolean) | undefined>>();
// Everything a decorator takes.
const asDecoratorOptions: RetryOptions = {} as ResiliencePipelineOptions;
void asDecoratorOptions;
function pipelineCalls(pipeline: ResiliencePipeline, signal: AbortSignal): void {
  // The result type follows fn, synchronous or not; fn gets the attempt's context.
  const _fromAsync = pipeline.execute(async (context) => context.attempt);
  expectTrue<Equals<typeof _fromAsync, Promise<number>>>();
  const _fromSync = pipeline.execute(() => 'text', { signal });
  expectTrue<Equals<typeof _fromSync, Promise<string>>>();
  void pipeline.execute((_context) => expectTrue<Equals<typeof _context, RetryContext>>());
  const _items = pipeline.stream(async function* ({ signal: attemptSignal }) {
    void attemptSignal;
    yield 1;
  });
  expectTrue<Equals<typeof _items, AsyncGenerator<number>>>();
  // @ts-expect-error stream needs an async iterable
  pipeline.stream(() => [1, 2]);
}
void pipelineCalls;
createResiliencePipeline({ name: 'chat', provider: 'openai', maxAttempts: 4, totalTimeoutMs: null, key: 'openai' });
createResiliencePipeline({ shouldRetry: () => true });
// @ts-expect-error not a provider
createResiliencePipeline({ provider: 'anthropic' });
// @ts-expect-error unknown option
createResiliencePipeline({ retries: 3 });

// --- Guards ------------------------------------------------------------------------------
// Each guard narrows `unknown` to its class, and (the classes being branded) narrows a union
// both ways.
function guards(value: unknown, either: RetryConfigError | TypeError): void {
  if (isRetryConfig(value)) expectTrue<Equals<typeof value, RetryConfig>>();
  if (isAgentConfig(value)) expectTrue<Equals<typeof value, AgentConfig>>();
  if (isRetryConfigError(value)) expectTrue<Equals<typeof value, RetryConfigError>>();
  if (isRetryTimeoutError(value)) expectTrue<Equals<typeof value, RetryTimeoutError>>();
  if (isAttemptTimeoutError(value)) expectTrue<Equals<typeof value, AttemptTimeoutError>>();
  if (isCircuitOpenError(value)) expectTrue<Equals<typeof value, CircuitOpenError>>();
  if (isBulkheadRejectedError(value)) expectTrue<Equals<typeof value, BulkheadRejectedError>>();
  if (isAgentExecutionError(value)) {
    expectTrue<Equals<typeof value, AgentExecutionError>>();
    expectTrue<Equals<typeof value.kind, FailureKind>>();
  }
  if (isSchemaValidationError(value)) expectTrue<Equals<typeof value, SchemaValidationError>>();
  if (isStreamInterruptedError(value)) expectTrue<Equals<typeof value, StreamInterruptedError>>();

  if (isRetryConfigError(either)) expectTrue<Equals<typeof either, RetryConfigError>>();
  else expectTrue<Equals<typeof either, TypeError>>();
}
void guards;
