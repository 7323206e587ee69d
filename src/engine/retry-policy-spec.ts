import type { RetryConfig, RetryConfigFields } from '../config/retry-config';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import type { StreamItemRules } from '../strategies/stream-commit/stream-items';

// What a decorator or a pipeline hands the engine to build its RetryPolicy (retry-policy.ts).

/** A config for the call: fixed, or chosen from the instance and the call's arguments. */
// `instance: any`: the user's callbacks name their own class (`(agent: ChatAgent) => ...`), which
// a parameter of type `unknown` would refuse.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigOption = RetryConfig | ((instance: any, args: unknown[]) => RetryConfig | undefined);
/** The logger and tracer of one instance (a per-agent tracer, say), above the fixed ones. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
export type ObserversOption = (instance: any) => { logger?: ResilienceLogger; tracer?: Tracer } | undefined;

export interface RetryPolicySpec {
  /** `ClassName.method` (or the `name` option) for logs; `thisArg` serves standard decorators. */
  readonly label: (thisArg: unknown) => string;
  /** Fields given literally in the decorator options (validated; `null` timeouts mean none). */
  readonly options: Readonly<Partial<RetryConfigFields>>;
  readonly config?: ConfigOption;
  readonly shouldRetry: (error: unknown) => boolean;
  readonly logger?: ResilienceLogger;
  readonly tracer?: Tracer;
  readonly observers?: ObserversOption;
  /** Told before each retry's wait (the `onRetry` option); never awaited, never breaks the call. */
  readonly onRetry?: (info: {
    attempt: number;
    delayMs: number;
    kind: string;
    status?: number;
    error: unknown;
  }) => void;
  /** A detail of one call added to the text of its log lines (e.g. the agent and model). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
  readonly labelDetail?: (instance: any, args: unknown[]) => string | undefined;
  /** Extra details for the `llm_call_success` event, from the call's result. */
  readonly successDetails?: (result: unknown) => Record<string, unknown>;
  /** The upstream whose breaker, budget and cooldown the calls share (default: the label). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
  readonly key?: string | ((instance: any, args: unknown[]) => string);
  /** A named config (`configureResilience({ configs })`), in the place of `config`. */
  readonly configName?: string;
  /** Attributes for the call's span (e.g. `gen_ai.system`, `gen_ai.request.model`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
  readonly spanAttributes?: (instance: any, args: unknown[]) => Record<string, string | number | boolean>;
  /**
   * How configuration errors found where the policy is defined name it, e.g.
   * `@RetryOpenAI on ChatAgent.complete` or `pipeline "chat"`.
   * @default the label
   */
  readonly definedAs?: string;
  /**
   * How layering errors name the `options` layer.
   * @default 'the decorator options'
   */
  readonly optionsSource?: string;
  /**
   * What the items of its streams are: which commits, which reports a failure.
   * @default FIRST_ITEM_COMMITS
   */
  readonly streamItems?: StreamItemRules;
}
