import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import type { RetryConfig, RetryConfigFields } from '../config/retry-config';

/** Options of `@RetryOpenAI`, `@RetryAzure` and `@RetryNetwork`. */
export interface RetryOptions extends Partial<RetryConfigFields> {
  /**
   * A config for this method, or a function of the instance returning one (for a
   * per-agent config kept elsewhere). Below the literal fields of these options.
   */
  config?: RetryConfig | ((instance: any) => RetryConfig | undefined);
  /** A winston logger (any `{error,warn,info,debug}` logger); default: the configured one. */
  logger?: ResilienceLogger;
  /** Receives trace events; default: the configured one. */
  tracer?: Tracer;
  /** Name used in logs; default `ClassName.method`. */
  name?: string;
}

/** Options of the generic `@Retry`: the retry predicate is yours. */
export interface GenericRetryOptions extends RetryOptions {
  /** True when the error is worth another attempt. */
  shouldRetry: (error: unknown) => boolean;
}

/**
 * A method decorator usable in both TypeScript decorator modes: legacy
 * `experimentalDecorators` (NestJS) and TC39 standard decorators.
 */
export interface RetryMethodDecorator {
  <T>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T> | void;
  <This, Args extends any[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
}
