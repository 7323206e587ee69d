import type { RetryOptions } from './retry-options';
import { executeStreamWithRetry, executeWithRetry, retryAfterLeanFailure } from '../engine/retry-engine';
import type { RetryPolicy } from '../engine/retry-policy';
import { currentRetryContext, firstContext, runInFirstContext, type RetryContext } from '../engine/retry-context';
import { callerSignalIn } from '../internal/caller-signal';
import { describeReceived } from '../internal/option-checks';
import {
  shouldRetryAzureError,
  shouldRetryNetworkError,
  shouldRetryOpenAIError,
} from '../classification/classify-error';
import { buildRetryPolicy } from './build-retry-policy';
import { failedStream } from './call-shapes';
import { OPENAI_STREAM_ITEMS } from '../strategies/stream-commit/openai-stream-items';
import type { StreamPosition } from '../strategies/stream-commit/stream-progress';

/* eslint-disable @typescript-eslint/no-explicit-any -- the option callbacks keep the decorators'
   signatures (`instance: any`), so that one options object serves both. */

/**
 * Options of `createResiliencePipeline`: everything a decorator takes (any `RetryConfig`
 * field, `config`, `configName`, `key`, `logger`, `tracer`, ...), plus the retry predicate,
 * chosen by `provider` or given as `shouldRetry` (not both), and a `name` for logs.
 *
 * A pipeline has no instance and no method arguments: the function forms of `config`, `key`,
 * `spanAttributes` and `observers` are called with `(undefined, [])`, once per call.
 *
 * @example
 * ```ts
 * const options: ResiliencePipelineOptions = { name: 'chat', provider: 'openai', maxAttempts: 4, totalTimeoutMs: 60_000 };
 * const chat = createResiliencePipeline(options);
 * ```
 */
export interface ResiliencePipelineOptions extends RetryOptions {
  /**
   * Which errors are retried: those `@RetryOpenAI` (`'openai'`), `@RetryAzure` (`'azure'`) or
   * `@RetryNetwork` (`'network'`) retry. Give this or `shouldRetry`, not both.
   * @default 'network' (the broadest of the three) when neither is given
   */
  provider?: 'openai' | 'azure' | 'network';
  /** True when the error is worth another attempt: your own predicate, in the place of `provider`. */
  shouldRetry?: (error: unknown) => boolean;
  /**
   * Name used in logs and events (`Retrying chat in 1.20s ...`), and the default `key`.
   * @default 'pipeline'
   */
  name?: string;
  /**
   * The upstream this pipeline calls: every pipeline, decorated method and service with the same
   * key shares one circuit breaker, retry budget and rate-limit cooldown.
   * @default the pipeline's `name` (so unnamed pipelines share the key `'pipeline'`)
   */
  key?: string | ((instance: any, args: unknown[]) => string);
}

/**
 * What `createResiliencePipeline` returns: one retry policy (with its key, logs and events)
 * to run any function under, without decorators.
 *
 * @example
 * ```ts
 * const pipeline: ResiliencePipeline = createResiliencePipeline({ name: 'chat', provider: 'openai' });
 * const answer = await pipeline.execute(({ signal }) => client.chat.completions.create(body, { signal }));
 * ```
 */
export interface ResiliencePipeline {
  /**
   * Runs `fn` under the pipeline's retry policy and resolves with its result. `fn` gets the
   * attempt's context (`attempt`, `maxAttempts`, and a `signal` that aborts on the attempt or
   * total timeout, or the caller's abort: hand it to the SDK). Always returns a promise: a
   * synchronous throw of `fn` is a failed attempt like a rejection, retried if the pipeline's
   * predicate says so; on exhaustion the last attempt's original error is the rejection.
   *
   * @param fn - One attempt: a function of the attempt's context, returning a value or a promise.
   * @param options - `signal`: the caller's cancellation. Its abort ends a wait or the running
   * attempt at once and rejects with its reason; it is never retried.
   * @typeParam T - What `fn` resolves with.
   */
  execute<T>(
    fn: (context: RetryContext) => T | PromiseLike<T>,
    options?: {
      /** The caller's cancellation: ends a wait or the running attempt at once; never retried. */
      signal?: AbortSignal;
    },
  ): Promise<T>;
  /**
   * Streams the items of the async iterable `fn` returns, retrying (a fresh call of `fn`) only
   * until the stream's commit point: its first content item (`streamCommit`; with `provider:
   * 'openai' | 'azure'`, the first text, refusal or tool-call delta of a Chat Completions or
   * Responses stream, whose lifecycle events are held back until then; otherwise the first
   * item). A failure after it is a `StreamInterruptedError`, unless `resume` re-attaches.
   *
   * @param fn - One attempt: a function of the attempt's context returning an async iterable
   * (an SDK stream, an async generator) or a promise of one (the SDK's `create({ stream: true })`).
   * @param options - `signal`: the caller's cancellation, as for `execute`; `resume`: how to
   * re-attach to a committed stream that broke.
   * @typeParam T - The items.
   * @example
   * ```ts
   * // A background Responses stream, resumed where it broke (no repeated, no missing event).
   * const events = chat.stream(
   *   ({ signal }) => client.responses.create({ ...body, background: true, stream: true }, { signal }),
   *   {
   *     resume: ({ responseId, sequenceNumber }, { signal }) =>
   *       client.responses.retrieve(responseId, { stream: true, starting_after: sequenceNumber }, { signal }),
   *   },
   * );
   * ```
   */
  stream<T>(
    fn: (context: RetryContext) => AsyncIterable<T> | PromiseLike<AsyncIterable<T>>,
    options?: {
      /** The caller's cancellation: ends a wait or the stream at once; never retried. */
      signal?: AbortSignal;
      /**
       * Re-attaches to a committed stream that broke (a cut, an idle timeout: not the response's
       * own failure event), from the last item the caller received: for the Responses API's
       * background mode, `client.responses.retrieve(responseId, { stream: true, starting_after:
       * sequenceNumber })`. Runs as further attempts under the pipeline's policy and deadline;
       * items at or before `sequenceNumber` are skipped. Only for streams whose items name their
       * response and sequence numbers (`provider: 'openai' | 'azure'`).
       */
      resume?: (from: StreamPosition, context: RetryContext) => AsyncIterable<T> | PromiseLike<AsyncIterable<T>>;
    },
  ): AsyncGenerator<T>;
}

const PREDICATES: Readonly<Record<string, (error: unknown) => boolean>> = Object.freeze({
  openai: shouldRetryOpenAIError,
  azure: shouldRetryAzureError,
  network: shouldRetryNetworkError,
});

/** What the function forms of the options get for "the call's arguments": a pipeline has none. */
const NO_ARGS = Object.freeze([]) as unknown as unknown[];

/**
 * A retry pipeline: the engine of the decorators, for code without decorators (plain
 * functions, closures, other frameworks). Validated when created, with the same rules and
 * errors as a decorator (naming the pipeline); its calls share keys (circuit breaker, retry
 * budget, cooldown), logs and trace events with decorated methods. Logs name the pipeline by
 * its `name` (default `'pipeline'`), which is also its default key.
 *
 * @param options - Any `RetryConfig` field, `provider` (`'openai'`, `'azure'` or `'network'`,
 * the default) or `shouldRetry`, `name`, `key`, `config`, `configName`, `logger`, `tracer`.
 * @returns `{ execute, stream }`.
 * @throws RetryConfigError for an unknown option (with a did-you-mean hint), a field breaking a
 * rule, or options in conflict with `configureResilience` defaults or the environment;
 * TypeError for an option of the wrong type, or `provider` together with `shouldRetry`.
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { createResiliencePipeline } from 'llm-resilience';
 *
 * const client = new OpenAI({ maxRetries: 0 }); // one retry layer
 * const chat = createResiliencePipeline({ name: 'chat', provider: 'openai', maxAttempts: 4, totalTimeoutMs: 60_000 });
 *
 * const completion = await chat.execute(
 *   ({ signal }) => client.chat.completions.create({ model: 'gpt-4o-mini', messages }, { signal }),
 *   { signal: request.signal },
 * );
 *
 * for await (const chunk of chat.stream(({ signal }) =>
 *   client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal }),
 * )) {
 *   process.stdout.write(chunk.choices[0]?.delta.content ?? '');
 * }
 * ```
 */
export function createResiliencePipeline(options?: ResiliencePipelineOptions): ResiliencePipeline {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`createResiliencePipeline: options must be an object (received ${describeReceived(options)})`);
  }
  // Later changes to the caller's object do not change the pipeline.
  const given: Record<string, unknown> = { ...options };
  const name = given.name === undefined ? 'pipeline' : given.name;
  const definedAs = typeof name === 'string' && name.trim() !== '' ? `pipeline "${name}"` : 'createResiliencePipeline';

  const { provider, shouldRetry } = given;
  if (provider !== undefined && shouldRetry !== undefined) {
    throw new TypeError(`${definedAs}: give provider or shouldRetry, not both`);
  }
  if (provider !== undefined && (typeof provider !== 'string' || !Object.hasOwn(PREDICATES, provider))) {
    throw new TypeError(
      `${definedAs}: provider must be 'openai', 'azure' or 'network' (received ${describeReceived(provider)})`,
    );
  }
  // The function forms get no instance and no arguments.
  for (const option of ['config', 'key', 'spanAttributes']) {
    const callback = given[option];
    if (typeof callback === 'function') given[option] = () => callback(undefined, NO_ARGS);
  }
  const label = String(name);
  const policy = buildRetryPolicy({
    definedAs,
    options: given,
    extraKeys: ['provider', 'shouldRetry'],
    shouldRetry: (shouldRetry as ((error: unknown) => boolean) | undefined) ?? PREDICATES[provider ?? 'network'],
    label: () => label,
    usedBy: definedAs,
    optionsSource: 'the pipeline options',
    streamItems: provider === 'openai' || provider === 'azure' ? OPENAI_STREAM_ITEMS : undefined,
  });
  return Object.freeze(pipelineOf(policy, definedAs));
}

/** The pipeline's two methods, closures over its policy (no `this`: they may be passed around). */
function pipelineOf(policy: RetryPolicy, definedAs: string): ResiliencePipeline {
  const checkFunction = (fn: unknown, method: string): void => {
    if (typeof fn !== 'function') {
      throw new TypeError(
        `${definedAs}: ${method}(fn) needs a function (context) => ... (received ${describeReceived(fn)})`,
      );
    }
  };
  const callerSignal = (options: unknown, method: string): AbortSignal | undefined => {
    if (options === undefined) return undefined;
    if (typeof options !== 'object' || options === null) {
      const shape = method === 'stream' ? '{ signal?, resume? }' : '{ signal? }';
      throw new TypeError(
        `${definedAs}: ${method}(fn, options): options must be an object ${shape} (received ${describeReceived(options)})`,
      );
    }
    for (const key of Object.keys(options)) {
      if (key !== 'signal' && !(method === 'stream' && key === 'resume')) {
        const known = method === 'stream' ? 'signal and resume are' : 'signal is';
        throw new TypeError(`${definedAs}: ${method}(fn, options): ${key} is not an option (${known})`);
      }
    }
    const { signal } = options as { signal?: unknown };
    if (signal === undefined) return undefined;
    const checked = callerSignalIn(signal);
    if (checked !== signal)
      throw new TypeError(
        `${definedAs}: ${method}(fn, { signal }): signal must be an AbortSignal (received ${describeReceived(signal)})`,
      );
    return checked;
  };
  return {
    execute<T>(fn: (context: RetryContext) => T | PromiseLike<T>, options?: { signal?: AbortSignal }): Promise<T> {
      try {
        if (typeof fn !== 'function') checkFunction(fn, 'execute');
        if (options !== undefined) {
          const signal = callerSignal(options, 'execute');
          if (signal !== undefined) return executeWithRetry(policy, runAttempt, undefined, [fn, signal]) as Promise<T>;
        }
        // The success path of `executeLean`, inlined: the function travels as the attempt's
        // argument (no closure per call on success), and the rejection handler holds only `fn`.
        // No arguments to scan for a signal: the caller's comes in `options` (checked above).
        const budget = policy.bareBudget(undefined, undefined);
        if (budget === undefined) return executeWithRetry(policy, runAttempt, undefined, [fn]) as Promise<T>;
        // `runAttempt`'s work, without its call: `fn` gets the first attempt's context (the one
        // getRetryContext() finds in it), and a throw is a failed attempt (retried), not a refusal.
        let result: unknown;
        try {
          result = runInFirstContext(firstContext(policy, undefined), fn);
        } catch (error) {
          result = Promise.reject(error);
        }
        // A native promise comes back as is; a value or another thenable becomes a promise.
        return (result instanceof Promise && result.constructor === Promise ? result : Promise.resolve(result)).then(
          budget.needsRefund() ? budget.refundFirstAttempt : undefined,
          // A success refunds the key's retry budget, if it has one that is not full.
          (error: unknown) => retryAfterLeanFailure(policy, runAttempt, undefined, 1, fn, undefined, undefined, error),
        ) as Promise<T>;
      } catch (error) {
        return Promise.reject(error);
      }
    },
    stream<T>(
      fn: (context: RetryContext) => AsyncIterable<T> | PromiseLike<AsyncIterable<T>>,
      options?: {
        signal?: AbortSignal;
        resume?: (from: StreamPosition, context: RetryContext) => AsyncIterable<T> | PromiseLike<AsyncIterable<T>>;
      },
    ): AsyncGenerator<T> {
      try {
        checkFunction(fn, 'stream');
        const signal = callerSignal(options, 'stream');
        const resume = options?.resume;
        if (resume !== undefined && typeof resume !== 'function') {
          throw new TypeError(
            `${definedAs}: stream(fn, { resume }): resume must be a function (from, context) => ... ` +
              `(received ${describeReceived(resume)})`,
          );
        }
        const args = signal === undefined ? [fn] : [fn, signal];
        const reattach = resume && ((from: StreamPosition) => resume(from, attemptContext()));
        return executeStreamWithRetry(policy, startStream, undefined, args, reattach) as AsyncGenerator<T>;
      } catch (error) {
        return failedStream(error);
      }
    },
  };
}

/**
 * One attempt of `execute`: always a promise-like, so a synchronous throw is a failed attempt
 * too. Not an `async` function: that would wrap (and adopt) every promise `fn` returns.
 */
function runAttempt(fn: (context: RetryContext) => unknown): Promise<unknown> {
  try {
    // A native promise comes back as is; a value or another thenable becomes a promise.
    return Promise.resolve(fn(attemptContext()));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** One attempt of `stream`: the engine retries a throw here like a stream failing before its first item. */
function startStream(fn: (context: RetryContext) => AsyncIterable<unknown>): AsyncIterable<unknown> {
  return fn(attemptContext());
}

/** The running attempt's context, read in the synchronous start of the attempt (no async context needed). */
function attemptContext(): RetryContext {
  const context = currentRetryContext();
  if (context === undefined) throw new Error('llm-resilience: a pipeline attempt ran outside its retry context');
  return context;
}
