import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { checkLogger, checkTracer } from '../config/resilience-settings';
import { Retry } from '../decorators/retry';
import { supervisedAttemptSignal } from '../engine/retry-context';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import { shouldRetryNetworkError } from '../classification/classify-error';
import { AgentConfig, AgentConfigInput } from './agent-config';
import { checkJsonSchema, JsonSchema } from './json-schema-check';
import { isSchemaValidationError, SchemaValidationError } from './llm-errors';
import {
  attemptRequestOptions,
  genAiAttributesOfFirstArgument,
  agentOfFirstArgument,
  LLMServiceFactory,
  observersOf,
  retryConfigOfFirstArgument,
  upstreamKeyOfFirstArgument,
} from './llm-service-factory';

/** Per-call options of `LLMExecutor`. */
export interface LLMCallOptions {
  /** Sampling temperature (the model's default when unset). */
  temperature?: number;
  /** Upper bound of the answer's tokens (`max_tokens`; the model's default when unset). */
  maxTokens?: number;
  /** The caller's cancellation: stops the call, its retries and its waits. */
  signal?: AbortSignal;
}

/** Options of `LLMExecutor`. */
export interface LLMExecutorOptions {
  /**
   * Where clients come from.
   * @default new LLMServiceFactory({ logger })
   */
  factory?: LLMServiceFactory;
  /**
   * Where retries are logged.
   * @default the logger of `configureResilience`, else the library's own
   */
  logger?: ResilienceLogger;
  /**
   * Receives the trace events of every call.
   * @default the tracer of `configureResilience`, if any
   */
  tracer?: Tracer;
}

/**
 * Retries what any client's transient failure looks like (openai, Azure, fetch, sockets),
 * and a response body that is not valid JSON (a garbled or truncated 200: the SDK throws
 * a bare SyntaxError for it).
 */
export const shouldRetryLLMError = (error: unknown): boolean =>
  shouldRetryNetworkError(error) || (error as { name?: unknown } | null)?.name === 'SyntaxError';
const shouldRetryOrReask = (error: unknown) => isSchemaValidationError(error) || shouldRetryLLMError(error);

/**
 * Runs chat completions for an agent config with the config's retry settings: plain text,
 * JSON matching a schema, or a stream of text deltas.
 *
 * @example
 * ```ts
 * const executor = new LLMExecutor({ logger });
 * const text = await executor.executeText(config, messages, { temperature: 0, signal });
 * const data = await executor.executeWithSchema<{ city: string }>(config, messages, {
 *   type: 'object', properties: { city: { type: 'string' } }, required: ['city'],
 * });
 * for await (const delta of executor.executeStream(config, messages)) process.stdout.write(delta);
 * ```
 */
export class LLMExecutor {
  /** Where clients come from. */
  readonly factory: LLMServiceFactory;
  /** Where retries are logged (the configured logger when unset). */
  readonly logger?: ResilienceLogger;
  /** Receives trace events (the configured tracer when unset). */
  readonly tracer?: Tracer;

  constructor(options: LLMExecutorOptions = {}) {
    this.logger = checkLogger(options.logger, 'LLMExecutor: logger');
    this.tracer = checkTracer(options.tracer, 'LLMExecutor: tracer');
    this.factory = options.factory ?? new LLMServiceFactory({ logger: this.logger });
  }

  /** The first choice's text. */
  @Retry({
    shouldRetry: shouldRetryLLMError,
    config: retryConfigOfFirstArgument,
    key: upstreamKeyOfFirstArgument,
    observers: observersOf,
    spanAttributes: genAiAttributesOfFirstArgument,
    labelDetail: agentOfFirstArgument,
  })
  async executeText(
    config: AgentConfig | AgentConfigInput,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions = {},
  ): Promise<string> {
    const completion = await this.complete(AgentConfig.from(config), messages, options);
    return completion.choices[0]?.message?.content ?? '';
  }

  /**
   * The answer as a parsed object matching `jsonSchema` (asked for with
   * `response_format: json_schema`). An answer that is not such JSON raises
   * `SchemaValidationError`, which is retried like a transient failure.
   */
  @Retry({
    shouldRetry: shouldRetryOrReask,
    config: retryConfigOfFirstArgument,
    key: upstreamKeyOfFirstArgument,
    observers: observersOf,
    spanAttributes: genAiAttributesOfFirstArgument,
    labelDetail: agentOfFirstArgument,
  })
  async executeWithSchema<T = unknown>(
    config: AgentConfig | AgentConfigInput,
    messages: ChatCompletionMessageParam[],
    jsonSchema: JsonSchema,
    options: LLMCallOptions = {},
  ): Promise<T> {
    const name =
      typeof jsonSchema.title === 'string' ? jsonSchema.title.replace(/[^\w-]/g, '_').slice(0, 64) : 'response';
    const completion = await this.complete(AgentConfig.from(config), messages, options, {
      response_format: { type: 'json_schema', json_schema: { name, schema: jsonSchema, strict: true } },
    });
    const content = completion.choices[0]?.message?.content ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      throw new SchemaValidationError(['the answer is not valid JSON'], content);
    }
    const problems = checkJsonSchema(parsed, jsonSchema);
    if (problems.length > 0) throw new SchemaValidationError(problems, content);
    return parsed as T;
  }

  /**
   * Text deltas as they arrive. Retried only until the first delta reaches the caller;
   * a break after that raises `StreamInterruptedError { itemsReceived, partialText }`.
   */
  @Retry({
    shouldRetry: shouldRetryLLMError,
    config: retryConfigOfFirstArgument,
    key: upstreamKeyOfFirstArgument,
    observers: observersOf,
    spanAttributes: genAiAttributesOfFirstArgument,
    labelDetail: agentOfFirstArgument,
  })
  async *executeStream(
    config: AgentConfig | AgentConfigInput,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions = {},
  ): AsyncGenerator<string, void, undefined> {
    const agent = AgentConfig.from(config);
    const signal = supervisedAttemptSignal() ?? options.signal;
    const stream = await this.factory
      .clientFor(agent)
      .chat.completions.create(
        { ...requestBody(agent, messages, options), stream: true },
        attemptRequestOptions(signal),
      );
    // A break after the first delta becomes a StreamInterruptedError in the engine (the commit point).
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) yield delta;
    }
  }

  private complete(
    agent: AgentConfig,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions,
    extra: Record<string, unknown> = {},
  ): Promise<ChatCompletion> {
    // Read in the synchronous part of the attempt: aborts on attempt/total timeouts and caller abort.
    const signal = supervisedAttemptSignal() ?? options.signal;
    return this.factory
      .clientFor(agent)
      .chat.completions.create(
        { ...requestBody(agent, messages, options), ...extra, stream: false },
        attemptRequestOptions(signal),
      ) as Promise<ChatCompletion>;
  }
}

/** The request body for `agent`: the model (OpenAI) or deployment name (Azure; also in the URL). */
export function requestBody(agent: AgentConfig, messages: ChatCompletionMessageParam[], options: LLMCallOptions) {
  return {
    model: agent.model,
    messages,
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
  };
}
