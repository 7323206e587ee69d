import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
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
import type { RetryPolicy } from '../engine/retry-policy';
import { isStreamInterruptedError } from '../strategies/stream-commit/stream-interrupted-error';
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
import { agentCallOptions, attemptRequestOptions, LLMServiceFactory } from './llm-service-factory';
import { type AttemptCounter, responseStreamPolicy, streamResponseEvents } from './response-stream';
import {
  checkedResponse,
  embeddingCount,
  embeddingsBody,
  type EmbeddingsRequest,
  responseBody,
  responseLength,
  type ResponseRequest,
} from './responses-api';
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
  /**
   * Re-attach a background Responses stream (`resilientResponseStream` with `background:
   * true`) that broke after its first content event, instead of raising
   * `StreamInterruptedError`; a request's own `resume` wins.
   * @default false
   */
  resume?: boolean;
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

/** What a call's failed candidates add up to: attempts, the last failure and its kind. */
interface FailureTally {
  attempts: number;
  kind: FailureKind;
  lastError: unknown;
}

/** The policy of `resilientResponseStream` (built when first used, as a decorator's is once per method). */
let responseStreamPolicyOfService: RetryPolicy | undefined;
function streamPolicy(): RetryPolicy {
  return (responseStreamPolicyOfService ??= responseStreamPolicy(
    'ResilientLLMService.resilientResponseStream',
    serviceRetryConfig,
    shouldRetryLLMError,
  ));
}

/**
 * Chat completions, Responses API responses and streams, and embeddings that survive: each
 * agent config's retry settings, then its fallbacks in order, and on final failure an `AgentExecutionError` whose message is safe for end users.
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
    if (options.resume !== undefined && typeof options.resume !== 'boolean') {
      throw new TypeError('ResilientLLMService: resume must be a boolean');
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
    return this.withFallbacks(config, request.signal, (agent, counter) =>
      this.completeWithRetries(agent, request, counter),
    );
  }

  /**
   * A Responses API response (`client.responses.create`) for `config`, with the same retries,
   * fallbacks and errors as `resilientChatCompletion`. A response whose body says it failed
   * (`status: 'failed'`) is a failure like the stream's `response.failed` event, by its
   * `error.code`: `server_error` is retried, `insufficient_quota` moves on to a fallback, ...
   * @throws AgentExecutionError with a safe message, the failure's kind, the attempts made and the original error.
   * @example
   * ```ts
   * const response = await service.resilientResponse(config, { input: 'Hello', instructions: 'Be brief' });
   * console.log(response.output_text);
   * ```
   */
  async resilientResponse(config: AgentConfig | AgentConfigInput, request: ResponseRequest): Promise<Response> {
    return this.withFallbacks(config, request.signal, (agent, counter) =>
      this.respondWithRetries(agent, request, counter),
    );
  }

  /**
   * The events of a Responses API stream for `config`. Lifecycle events are held back until
   * the first content event (the commit point); before it a failure (an HTTP error, a
   * `response.failed` or `error` event, a cut, `firstItemTimeoutMs`) is retried, then each
   * fallback is tried, as for `resilientResponse`: the caller sees one attempt's events only.
   * After it there is no fallback: a break raises `StreamInterruptedError` (`itemsReceived`,
   * `partialText`, `responseId`, `sequenceNumber`), unless the request is a background one and
   * `resume` is on: then the stream re-attaches where it broke (`responses.retrieve(id, {
   * stream: true, starting_after })`, retried under the same policy and deadline) and the
   * caller gets every event once, in order.
   * @throws AgentExecutionError (before the first event reached the caller), StreamInterruptedError (after).
   * @example
   * ```ts
   * const service = new ResilientLLMService({ resume: true });
   * for await (const event of service.resilientResponseStream(config, { input: prompt, background: true })) {
   *   if (event.type === 'response.output_text.delta') process.stdout.write(event.delta);
   * }
   * ```
   */
  async *resilientResponseStream(
    config: AgentConfig | AgentConfigInput,
    request: ResponseRequest,
  ): AsyncGenerator<ResponseStreamEvent, void, undefined> {
    const resume = request.resume ?? this.options.resume === true;
    const candidates = this.candidatesOf(config);
    const tally: FailureTally = { attempts: 0, kind: 'unknown', lastError: undefined };
    for (let index = 0; index < candidates.length; index++) {
      const counter: AttemptCounter = { attempts: 0 };
      let delivered = false;
      try {
        const events = streamResponseEvents(streamPolicy(), this, candidates[index], request, counter, resume);
        for await (const event of events) {
          delivered = true;
          yield event;
        }
        return;
      } catch (error) {
        // Past the commit point the caller has events: no fallback, the error as it is.
        if (delivered || isStreamInterruptedError(error)) throw error;
        if (!this.movesOn(candidates, index, error, counter, tally, request.signal)) break;
      }
    }
    throw this.finalError(tally);
  }

  /**
   * Embeddings (`client.embeddings.create`) for `config` (an embedding model, or its Azure
   * deployment), with the same retries, fallbacks and errors as `resilientChatCompletion`.
   * @throws AgentExecutionError with a safe message, the failure's kind, the attempts made and the original error.
   * @example
   * ```ts
   * const { data } = await service.resilientEmbeddings(embeddingConfig, { input: ['first text', 'second text'] });
   * const vectors = data.map((entry) => entry.embedding);
   * ```
   */
  async resilientEmbeddings(
    config: AgentConfig | AgentConfigInput,
    request: EmbeddingsRequest,
  ): Promise<CreateEmbeddingResponse> {
    return this.withFallbacks(config, request.signal, (agent, counter) =>
      this.embedWithRetries(agent, request, counter),
    );
  }

  /** The agent config and its fallbacks, in order (bound to the service's state store, if any). */
  private candidatesOf(config: AgentConfig | AgentConfigInput): AgentConfig[] {
    const primary = AgentConfig.from(config);
    const candidates = [primary, ...primary.fallbackConfigs()];
    const store = this.options.stateStore;
    if (store !== undefined) for (const candidate of candidates) bindStateStore(candidate.upstreamKey, store);
    return candidates;
  }

  /** Runs `call` for each candidate in turn while a fallback may help; the safe error at the end. */
  private async withFallbacks<T>(
    config: AgentConfig | AgentConfigInput,
    signal: AbortSignal | undefined,
    call: (agent: AgentConfig, counter: AttemptCounter) => Promise<T>,
  ): Promise<T> {
    const candidates = this.candidatesOf(config);
    const tally: FailureTally = { attempts: 0, kind: 'unknown', lastError: undefined };
    for (let index = 0; index < candidates.length; index++) {
      const counter: AttemptCounter = { attempts: 0 };
      try {
        return await call(candidates[index], counter);
      } catch (error) {
        if (!this.movesOn(candidates, index, error, counter, tally, signal)) break;
      }
    }
    throw this.finalError(tally);
  }

  /**
   * Counts a candidate's failure into `tally`; true (and the fallback reported) when the next
   * candidate is to be tried: there is one, the caller did not abort, and it may help.
   */
  private movesOn(
    candidates: readonly AgentConfig[],
    index: number,
    error: unknown,
    counter: AttemptCounter,
    tally: FailureTally,
    signal: AbortSignal | undefined,
  ): boolean {
    tally.attempts += counter.attempts;
    tally.lastError = error;
    // The caller's own abort, whatever reason it was given.
    tally.kind = signal?.aborted ? 'aborted' : classifyError(error).kind;
    const next = candidates[index + 1];
    if (next === undefined || signal?.aborted || !this.fallbackHelps(tally.kind, error)) return false;
    this.reportFallback(candidates[index], next, tally.kind);
    return true;
  }

  /** The safe error of a call whose every candidate failed. */
  private finalError(tally: FailureTally): AgentExecutionError {
    return new AgentExecutionError(
      this.safeMessage(tally.kind, tally.attempts),
      tally.kind,
      tally.attempts,
      tally.lastError,
    );
  }

  /** One config, retried under its own retry settings. */
  @Retry({
    name: 'ResilientLLMService.resilientChatCompletion',
    shouldRetry: shouldRetryLLMError,
    ...agentCallOptions(serviceRetryConfig),
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

  /** One config's Responses call, retried under its own retry settings. */
  @Retry({
    name: 'ResilientLLMService.resilientResponse',
    shouldRetry: shouldRetryLLMError,
    ...agentCallOptions(serviceRetryConfig),
    successDetails: (response: Response) => ({ response_length: responseLength(response) }),
  })
  private async respondWithRetries(
    agent: AgentConfig,
    request: ResponseRequest,
    counter: AttemptCounter,
  ): Promise<Response> {
    counter.attempts++;
    const signal = supervisedAttemptSignal() ?? request.signal;
    const response = await this.factory
      .clientFor(agent)
      .responses.create({ ...responseBody(agent, request), stream: false }, attemptRequestOptions(signal));
    return checkedResponse(response);
  }

  /** One config's embeddings call, retried under its own retry settings. */
  @Retry({
    name: 'ResilientLLMService.resilientEmbeddings',
    shouldRetry: shouldRetryLLMError,
    ...agentCallOptions(serviceRetryConfig),
    successDetails: (result: CreateEmbeddingResponse) => ({ embeddings: embeddingCount(result) }),
  })
  private embedWithRetries(
    agent: AgentConfig,
    request: EmbeddingsRequest,
    counter: AttemptCounter,
  ): Promise<CreateEmbeddingResponse> {
    counter.attempts++;
    const signal = supervisedAttemptSignal() ?? request.signal;
    return this.factory
      .clientFor(agent)
      .embeddings.create(embeddingsBody(agent, request), attemptRequestOptions(signal));
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
