import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import type { RetryConfig, RetryConfigFields } from '../config/retry-config';

/* eslint-disable @typescript-eslint/no-explicit-any -- the callbacks name the user's own class
   (`(agent: ChatAgent) => ...`), which a parameter of type `unknown` would refuse. */

/** What `onRetry` is told before each retry's wait. */
export interface RetryInfo {
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  readonly attempt: number;
  /** How long the call waits before the next attempt (ms). */
  readonly delayMs: number;
  /** What failed, as `classifyError` names it (`rate_limit`, `server`, `network`, `timeout`, ...). */
  readonly kind: string;
  /** The HTTP status, when the error carries one. */
  readonly status?: number;
  /** The attempt's error (as thrown: may carry provider text). */
  readonly error: unknown;
}

/**
 * Options of `@RetryOpenAI`, `@RetryAzure` and `@RetryNetwork`: any `RetryConfig` field (the
 * strongest configuration layer) plus where the rest of the configuration, the logs and the
 * events come from.
 *
 * @example
 * ```ts
 * @RetryOpenAI({ configName: 'chat', key: 'openai:gpt-4o', name: 'Support.answer', maxAttempts: 4 })
 * ```
 */
export interface RetryOptions extends Omit<Partial<RetryConfigFields>, 'key'> {
  /**
   * A config for this method, or a function of the instance and the call's arguments
   * returning one (a per-agent config kept elsewhere, or passed in). Below the literal
   * fields of these options.
   */
  config?: RetryConfig | ((instance: any, args: unknown[]) => RetryConfig | undefined);
  /**
   * A named config (`configureResilience({ configs })`, or `ResilienceModule.forRoot({ configs })`),
   * in the place of `config`: like resilience4j's `@Retry(name = "backendA")`.
   */
  configName?: string;
  /**
   * A winston logger (any `{error,warn,info,debug}` logger).
   * @default the logger of `configureResilience`, else the library's own (stderr, `warn`)
   */
  logger?: ResilienceLogger;
  /**
   * Receives trace events.
   * @default the tracer of `configureResilience`, if any
   */
  tracer?: Tracer;
  /**
   * The logger and tracer of one instance (a per-agent tracer, say): what it returns wins
   * over `logger` and `tracer` for calls on that instance.
   */
  observers?: (instance: any) =>
    | {
        /** This instance's logger (absent: `logger`, else the configured one). */
        logger?: ResilienceLogger;
        /** This instance's tracer (absent: `tracer`, else the configured one). */
        tracer?: Tracer;
      }
    | undefined;
  /**
   * Name used in logs.
   * @default `ClassName.method`
   */
  name?: string;
  /** Extra details for the `llm_call_success` event, computed from the call's result. */
  successDetails?: (result: any) => Record<string, unknown>;
  /**
   * Called before each retry's wait, with what failed and how long the call will wait: for
   * metrics, or a message to the user. Not awaited; what it throws is ignored (it never
   * changes the call). The error is the attempt's own (it may hold provider text: do not show it).
   * @example
   * ```ts
   * @RetryOpenAI({ onRetry: ({ attempt, delayMs, kind }) => metrics.increment('llm.retry', { kind }) })
   * ```
   */
  onRetry?: (info: RetryInfo) => void;
  /**
   * A detail of one call added to the method's name in the text of its log lines, e.g. the agent
   * and model (`Retrying LLMExecutor.executeText (agent support, model gpt-4o-mini) in 1.20s`);
   * the `method` field, events and spans keep the plain name. Never put prompt text or a
   * credential in it; what it throws is ignored.
   * @example
   * ```ts
   * @RetryOpenAI({ labelDetail: (agent: ChatAgent) => `model ${agent.model}` })
   * ```
   */
  labelDetail?: (instance: any, args: unknown[]) => string | undefined;
  /**
   * The upstream this method calls: every decorated method and service with the same key
   * shares one circuit breaker, retry budget and rate-limit cooldown. A function of the
   * instance and the call's arguments picks it per call.
   * @default `ClassName.method`
   */
  key?: string | ((instance: any, args: unknown[]) => string);
  /** Attributes for the call's OpenTelemetry span, from the instance and the arguments. */
  spanAttributes?: (instance: any, args: unknown[]) => Record<string, string | number | boolean>;
}

/**
 * Options of the generic `@Retry`: the retry predicate is yours.
 *
 * @example
 * ```ts
 * @Retry({ shouldRetry: (error) => shouldRetryNetworkError(error) || isMyTransientError(error), maxAttempts: 5 })
 * ```
 */
export interface GenericRetryOptions extends RetryOptions {
  /** True when the error is worth another attempt. */
  shouldRetry: (error: unknown) => boolean;
}

/**
 * A method decorator usable in both TypeScript decorator modes: legacy
 * `experimentalDecorators` (NestJS) and TC39 standard decorators.
 */
export interface RetryMethodDecorator {
  /** Legacy `experimentalDecorators` form (NestJS): returns the wrapped method's descriptor. */
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T> | void;
  // `Value` as a whole (not its parts) so that generic methods keep their type parameters.
  /**
   * TC39 standard decorator form: returns the wrapped method, with the exact type of `value`.
   * @typeParam This - The class instance type.
   * @typeParam Value - The decorated method, kept whole so that generic methods keep their type parameters.
   */
  <This, Value extends (this: This, ...args: any) => any>(
    value: Value,
    context: ClassMethodDecoratorContext<This, Value>,
  ): Value;
}
