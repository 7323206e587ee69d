import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Response } from 'openai/resources/responses/responses';
import { checkLogger, checkTracer } from '../config/resilience-settings';
import { Retry } from '../decorators/retry';
import { supervisedAttemptSignal } from '../engine/retry-context';
import type { RetryConfig } from '../config/retry-config';
import type { RetryPolicy } from '../engine/retry-policy';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import { shouldRetryNetworkError } from '../classification/classify-error';
import { AgentConfig, AgentConfigInput } from './agent-config';
import { promptTexts, scrubbed, withoutEcho } from './echo-scrub';
import { checkJsonSchema, JsonSchema } from './json-schema-check';
import { isSchemaValidationError, SchemaValidationError } from './llm-errors';
import { agentCallOptions, attemptRequestOptions, LLMServiceFactory } from './llm-service-factory';
import { responseStreamPolicy, streamResponseEvents } from './response-stream';
import { checkedResponse, messagesAsResponseInput, outputTextDeltas, responseBody } from './responses-api';

/** Per-call options of `LLMExecutor`. */
export interface LLMCallOptions {
  /** Sampling temperature (the model's default when unset). */
  temperature?: number;
  /** Upper bound of the answer's tokens (`max_tokens`; the model's default when unset). */
  maxTokens?: number;
  /**
   * `executeStream` over the Responses API (`api: 'responses'`) only: run the response in
   * background mode, so that a stream that broke can re-attach (with `resume`).
   * @default false
   */
  background?: boolean;
  /**
   * `executeStream` over the Responses API with `background: true`: re-attach a stream that
   * broke after its first delta instead of raising `StreamInterruptedError`.
   * @default the executor's `resume` option
   */
  resume?: boolean;
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
  /**
   * Re-attach background Responses streams that broke after their first delta (see
   * `LLMCallOptions.resume`, which wins per call).
   * @default false
   */
  resume?: boolean;
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
 * Runs an agent config's calls with the config's retry settings: plain text, JSON matching a
 * schema, or a stream of text deltas, over the Chat Completions API or, with `api:
 * 'responses'` in the config, the Responses API (`output_text`, `text.format` JSON schema,
 * `response.output_text.delta` events).
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
  /** Whether background Responses streams re-attach after a break (unless a call says otherwise). */
  readonly resume: boolean;

  constructor(options: LLMExecutorOptions = {}) {
    this.logger = checkLogger(options.logger, 'LLMExecutor: logger');
    this.tracer = checkTracer(options.tracer, 'LLMExecutor: tracer');
    if (options.resume !== undefined && typeof options.resume !== 'boolean') {
      throw new TypeError('LLMExecutor: resume must be a boolean');
    }
    this.resume = options.resume ?? false;
    this.factory = options.factory ?? new LLMServiceFactory({ logger: this.logger });
  }

  /** The answer's text: the first choice's (chat), or the response's `output_text` (responses). */
  @Retry({
    shouldRetry: shouldRetryLLMError,
    ...agentCallOptions(retryConfigOf),
  })
  async executeText(
    config: AgentConfig | AgentConfigInput,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions = {},
  ): Promise<string> {
    const agent = AgentConfig.from(config);
    if (agent.api === 'responses') return (await this.respond(agent, messages, options)).output_text ?? '';
    const completion = await this.complete(agent, messages, options);
    return completion.choices[0]?.message?.content ?? '';
  }

  /**
   * The answer as a parsed object matching `jsonSchema` (asked for with `response_format:
   * json_schema`, or over the Responses API with `text.format` `json_schema`). An answer that
   * is not such JSON raises `SchemaValidationError`, which is retried like a transient failure.
   */
  @Retry({
    shouldRetry: shouldRetryOrReask,
    ...agentCallOptions(retryConfigOf),
  })
  async executeWithSchema<T = unknown>(
    config: AgentConfig | AgentConfigInput,
    messages: ChatCompletionMessageParam[],
    jsonSchema: JsonSchema,
    options: LLMCallOptions = {},
  ): Promise<T> {
    const name =
      typeof jsonSchema.title === 'string' ? jsonSchema.title.replace(/[^\w-]/g, '_').slice(0, 64) : 'response';
    const agent = AgentConfig.from(config);
    let content: string;
    if (agent.api === 'responses') {
      const response = await this.respond(agent, messages, options, {
        text: { format: { type: 'json_schema', name, schema: jsonSchema, strict: true } },
      });
      content = response.output_text ?? '';
    } else {
      const completion = await this.complete(agent, messages, options, {
        response_format: { type: 'json_schema', json_schema: { name, schema: jsonSchema, strict: true } },
      });
      content = completion.choices[0]?.message?.content ?? '';
    }
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
   * a break after that raises `StreamInterruptedError { itemsReceived, partialText }`, unless
   * the call runs over the Responses API with `background` and `resume`: then it re-attaches
   * where it broke and the caller gets every delta once.
   */
  executeStream(
    config: AgentConfig | AgentConfigInput,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions = {},
  ): AsyncGenerator<string, void, undefined> {
    let agent: AgentConfig;
    try {
      agent = AgentConfig.from(config);
    } catch (error) {
      return failed(error);
    }
    if (agent.api !== 'responses') return this.chatStream(agent, messages, options);
    let input: ReturnType<typeof messagesAsResponseInput>;
    try {
      input = messagesAsResponseInput(messages);
    } catch (error) {
      return failed(error);
    }
    const request = {
      input,
      temperature: options.temperature,
      maxOutputTokens: options.maxTokens,
      background: options.background,
      signal: options.signal,
    };
    const events = streamResponseEvents(
      executorStreamPolicy(),
      this,
      agent,
      request,
      { attempts: 0 },
      options.resume ?? this.resume,
    );
    return outputTextDeltas(events);
  }

  /** `executeStream` over Chat Completions. */
  @Retry({
    name: 'LLMExecutor.executeStream',
    shouldRetry: shouldRetryLLMError,
    ...agentCallOptions(retryConfigOf),
  })
  private async *chatStream(
    agent: AgentConfig,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions,
  ): AsyncGenerator<string, void, undefined> {
    const signal = supervisedAttemptSignal() ?? options.signal;
    try {
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
    } catch (error) {
      throw scrubbed(error, promptTexts(messages));
    }
  }

  /** One Responses API call (`stream: false`); a failed response throws its failure. */
  private async respond(
    agent: AgentConfig,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions,
    params: Record<string, unknown> = {},
  ): Promise<Response> {
    const signal = supervisedAttemptSignal() ?? options.signal;
    const body = responseBody(agent, {
      input: messagesAsResponseInput(messages),
      temperature: options.temperature,
      maxOutputTokens: options.maxTokens,
      params,
    });
    const response = await withoutEcho(messages, () =>
      this.factory.clientFor(agent).responses.create({ ...body, stream: false }, attemptRequestOptions(signal)),
    );
    return checkedResponse(response);
  }

  private complete(
    agent: AgentConfig,
    messages: ChatCompletionMessageParam[],
    options: LLMCallOptions,
    extra: Record<string, unknown> = {},
  ): Promise<ChatCompletion> {
    // Read in the synchronous part of the attempt: aborts on attempt/total timeouts and caller abort.
    const signal = supervisedAttemptSignal() ?? options.signal;
    return withoutEcho(
      messages,
      () =>
        this.factory
          .clientFor(agent)
          .chat.completions.create(
            { ...requestBody(agent, messages, options), ...extra, stream: false },
            attemptRequestOptions(signal),
          ) as Promise<ChatCompletion>,
    );
  }
}

/** An agent's own retry config: the executor's calls run under it. */
function retryConfigOf(agent: AgentConfig): RetryConfig {
  return agent.retryConfig;
}

/** The policy of `executeStream` over the Responses API (built when first used). */
let executorPolicy: RetryPolicy | undefined;
function executorStreamPolicy(): RetryPolicy {
  return (executorPolicy ??= responseStreamPolicy('LLMExecutor.executeStream', retryConfigOf, shouldRetryLLMError));
}

/** A stream that fails with `error` when read (what the method's own generator would do). */
// eslint-disable-next-line require-yield -- it only throws
async function* failed(error: unknown): AsyncGenerator<string, void, undefined> {
  throw error;
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
