import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import {
  checkLogger,
  checkTracer,
  configuredLogger,
  configuredTracer,
  environmentDefaults,
  processDefaults,
} from '../config/resilience-settings';
import { Retry } from '../decorators/retry';
import { supervisedAttemptSignal } from '../engine/retry-context';
import { bindStateStore } from '../upstreams/replica-sync';
import { isSharedStateStore, type SharedStateStore } from '../ports/shared-state-store';
import type { ResilienceLogger } from '../observability/default-logger';
import { emitTraceEvent, TRACE_EVENTS, Tracer } from '../observability/tracer';
import { classifyError } from '../classification/classify-error';
import type { FailureKind } from '../classification/failure-kind';
import { explicitFields, RetryConfig } from '../config/retry-config';
import { AgentConfig, AgentConfigInput } from './agent-config';
import { AgentExecutionError } from './agent-execution-error';
import { requestBody, shouldRetryLLMError } from './llm-executor';
import {
  agentOfFirstArgument,
  attemptRequestOptions,
  genAiAttributesOfFirstArgument,
  LLMServiceFactory,
  observersOf,
} from './llm-service-factory';
import { safeMessageFor, SafeMessages } from './safe-messages';

/** One chat completion request of `ResilientLLMService`. */
export interface ChatRequest {
  /** The conversation, as the `openai` SDK takes it. */
  messages: ChatCompletionMessageParam[];
  /** Sampling temperature (the model's default when unset). */
  temperature?: number;
  /** Upper bound of the answer's tokens (`max_tokens`; the model's default when unset). */
  maxTokens?: number;
  /** The caller's cancellation: stops the call, its retries, waits and fallbacks. */
  signal?: AbortSignal;
}

/** Options of `ResilientLLMService`. */
export interface ResilientLLMServiceOptions {
  /**
   * Receives the trace events of every call, `fallback_used` included.
   * @default the tracer of `configureResilience`, if any
   */
  tracer?: Tracer;
  /**
   * Where retries and fallbacks are logged.
   * @default the logger of `configureResilience`, else the library's own
   */
  logger?: ResilienceLogger;
  /**
   * Where clients come from (one per agent config, `maxRetries: 0`).
   * @default new LLMServiceFactory({ logger })
   */
  factory?: LLMServiceFactory;
  /**
   * What end users are told per kind of failure.
   * @default DEFAULT_SAFE_MESSAGES
   */
  safeMessages?: SafeMessages;
  /**
   * Also move on to a fallback when the content filter rejects a request.
   * @default false
   */
  fallbackOnContentFilter?: boolean;
  /**
   * Shares what this service learns about its agents' upstreams (cooldowns, circuits, retry
   * budgets, pacing) with other replicas, e.g. `createRedisStateStore({ client })` from
   * `llm-resilience/redis`; instead of the store given to `configureResilience`, for the
   * keys of the agents this service calls. Default: that configured store, if any.
   */
  stateStore?: SharedStateStore;
}

/** Failures a different model or deployment may not have. Auth and bad requests are excluded. */
const FALLBACK_KINDS: ReadonlySet<FailureKind> = new Set(['quota_exhausted', 'context_length', 'circuit_open']);

/**
 * The service's retry config for an agent: the agent's own, with the circuit breaker on
 * unless the agent config, `configureResilience` defaults or the environment say otherwise
 * (cached per RetryConfig object).
 */
const withBreakerOn = new WeakMap<RetryConfig, RetryConfig>();
function serviceRetryConfig(agent: AgentConfig): RetryConfig {
  const own = agent.retryConfig;
  if (
    own.circuitBreaker !== undefined ||
    processDefaults().circuitBreaker !== undefined ||
    environmentDefaults().circuitBreaker !== undefined
  ) {
    return own;
  }
  let config = withBreakerOn.get(own);
  if (config === undefined) {
    config = new RetryConfig({ ...explicitFields(own), circuitBreaker: true });
    withBreakerOn.set(own, config);
  }
  return config;
}

/** Counts the attempts of one config (every attempt runs the decorated method once). */
interface AttemptCounter {
  attempts: number;
}

/**
 * Chat completions that survive: each agent config's retry settings, then its fallbacks in
 * order, and on final failure an `AgentExecutionError` whose message is safe for end users.
 * The circuit breaker is on for its calls unless the agent's config, `configureResilience`
 * defaults or the environment set `circuitBreaker`.
 *
 * @example
 * ```ts
 * const service = new ResilientLLMService({ tracer, safeMessages: { rate_limit: 'Busy, try again' } });
 * try {
 *   const completion = await service.resilientChatCompletion(config, { messages, temperature: 0.2, signal });
 *   return completion.choices[0].message.content;
 * } catch (error) {
 *   if (isAgentExecutionError(error)) return error.message; // safe for end users
 *   throw error;
 * }
 * ```
 */
export class ResilientLLMService {
  /** Receives trace events (the configured tracer when unset). */
  readonly tracer?: Tracer;
  /** Where retries and fallbacks are logged (the configured logger when unset). */
  readonly logger?: ResilienceLogger;
  /** Where clients come from. */
  readonly factory: LLMServiceFactory;
  private readonly options: ResilientLLMServiceOptions;

  constructor(options: ResilientLLMServiceOptions = {}) {
    this.logger = checkLogger(options.logger, 'ResilientLLMService: logger');
    this.tracer = checkTracer(options.tracer, 'ResilientLLMService: tracer');
    if (options.stateStore !== undefined && !isSharedStateStore(options.stateStore)) {
      throw new TypeError(
        'ResilientLLMService: stateStore must be a state store, e.g. createRedisStateStore({ client })',
      );
    }
    this.factory = options.factory ?? new LLMServiceFactory({ logger: this.logger });
    this.options = options;
  }

  /** The same service reporting to another tracer (shares the factory and its clients). */
  withTracer(tracer: Tracer | undefined): ResilientLLMService {
    return tracer === undefined || tracer === this.tracer
      ? this
      : new ResilientLLMService({ ...this.options, factory: this.factory, tracer });
  }

  /** The safe message for a failure of `kind` after `attempts` attempts. */
  safeMessage(kind: FailureKind, attempts: number): string {
    return safeMessageFor(kind, attempts, this.options.safeMessages);
  }

  /**
   * A chat completion for `config`: retried under its retry settings, then each fallback in
   * order when the failure is one a fallback may not have (exhausted retries, quota, context
   * length, an open circuit; the content filter with `fallbackOnContentFilter`).
   * @throws AgentExecutionError with a safe message, the failure's kind, the attempts made and the original error.
   */
  async resilientChatCompletion(config: AgentConfig | AgentConfigInput, request: ChatRequest): Promise<ChatCompletion> {
    const primary = AgentConfig.from(config);
    const candidates = [primary, ...primary.fallbackConfigs()];
    const store = this.options.stateStore;
    if (store !== undefined) for (const candidate of candidates) bindStateStore(candidate.upstreamKey, store);
    let attempts = 0;
    let lastError: unknown;
    let kind: FailureKind = 'unknown';
    for (let index = 0; index < candidates.length; index++) {
      const counter: AttemptCounter = { attempts: 0 };
      try {
        return await this.completeWithRetries(candidates[index], request, counter);
      } catch (error) {
        attempts += counter.attempts;
        lastError = error;
        // The caller's own abort, whatever reason it was given.
        kind = request.signal?.aborted ? 'aborted' : classifyError(error).kind;
        const next = candidates[index + 1];
        if (next === undefined || request.signal?.aborted || !this.fallbackHelps(kind, error)) break;
        this.reportFallback(candidates[index], next, kind);
      }
    }
    throw new AgentExecutionError(this.safeMessage(kind, attempts), kind, attempts, lastError);
  }

  /** One config, retried under its own retry settings. */
  @Retry({
    name: 'ResilientLLMService.resilientChatCompletion',
    shouldRetry: shouldRetryLLMError,
    config: (_self, args) => serviceRetryConfig(args[0] as AgentConfig),
    key: (_self, args) => (args[0] as AgentConfig).upstreamKey,
    spanAttributes: genAiAttributesOfFirstArgument,
    labelDetail: agentOfFirstArgument,
    observers: observersOf,
    successDetails: (completion: ChatCompletion) => ({
      response_length: completion?.choices?.[0]?.message?.content?.length ?? 0,
    }),
  })
  private completeWithRetries(
    agent: AgentConfig,
    request: ChatRequest,
    counter: AttemptCounter,
  ): Promise<ChatCompletion> {
    counter.attempts++;
    const signal = supervisedAttemptSignal() ?? request.signal;
    return this.factory
      .clientFor(agent)
      .chat.completions.create(
        { ...requestBody(agent, request.messages, request), stream: false },
        attemptRequestOptions(signal),
      ) as Promise<ChatCompletion>;
  }

  /** Exhausted retries, a quota or context-length failure (or the content filter, if asked). */
  private fallbackHelps(kind: FailureKind, error: unknown): boolean {
    if (FALLBACK_KINDS.has(kind)) return true;
    if (kind === 'content_filter') return this.options.fallbackOnContentFilter === true;
    return shouldRetryLLMError(error);
  }

  private reportFallback(from: AgentConfig, to: AgentConfig, reason: FailureKind): void {
    const tracer = this.tracer ?? configuredTracer();
    if (tracer) emitTraceEvent(tracer, TRACE_EVENTS.fallbackUsed, { from: from.label, to: to.label, reason });
    (this.logger ?? configuredLogger()).warn(`Falling back from ${from.label} to ${to.label} (${reason})`, {
      from: from.label,
      to: to.label,
      reason,
    });
  }
}
