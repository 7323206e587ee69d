import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidationArguments,
  validateSync,
} from 'class-validator';
import { BulkheadSettings, envVarOf, JITTER_MODES, JitterMode, RETRY_DEFAULTS } from './defaults';
import { closestName, describeReceived, isPlainObject } from '../internal/option-checks';
import { RetryConfigError, RetryConfigIssue } from './retry-config-error';
import { validateCircuitBreakerOptions } from '../strategies/circuit-breaker/circuit-breaker-options';
import type { CircuitBreakerOptions } from '../strategies/circuit-breaker/circuit-breaker-options';
import { validateRetryBudgetOptions } from '../strategies/retry-budget/retry-budget-options';
import type { RetryBudgetOptions } from '../strategies/retry-budget/retry-budget-options';
import { validateBulkheadOptions } from '../strategies/bulkhead/bulkhead-options';

/**
 * The fields of a retry configuration, as plain data: what `new RetryConfig(...)`,
 * `configureResilience({ defaults })` and the decorators' options accept. Every rule and
 * environment variable is listed in docs/defaults.md.
 *
 * @example
 * ```ts
 * const fields: Partial<RetryConfigFields> = { maxAttempts: 4, totalTimeoutMs: 60_000, circuitBreaker: true };
 * const config = new RetryConfig(fields);
 * ```
 */
export interface RetryConfigFields {
  /**
   * All attempts, the first included (integer 1..10): 3 means one call and two retries.
   * @default 3
   */
  maxAttempts: number;
  /**
   * The first backoff in ms, before jitter (100..60000).
   * @default 1000
   */
  baseDelayMs: number;
  /**
   * Cap of every backoff in ms (at least `baseDelayMs`, at most 300000).
   * @default 30000
   */
  maxDelayMs: number;
  /**
   * Growth of the backoff per attempt: `baseDelayMs * exponentialBase ** (attempt - 1)` (1..10).
   * @default 2
   */
  exponentialBase: number;
  /**
   * How the backoff is randomised: `'full'` (uniform in [0, backoff]), `'equal'` (half plus a
   * uniform half), `'decorrelated'` or `'none'`.
   * @default 'full'
   */
  jitter: JitterMode;
  /**
   * Wait at least what the server asks for (`retry-after-ms`, `x-ms-retry-after-ms`, `retry-after`).
   * @default true
   */
  respectRetryAfter: boolean;
  /**
   * A server-requested wait longer than this (ms, 0..3600000) is not obeyed: the call fails at once.
   * @default 60000
   */
  maxRetryAfterMs: number;
  /**
   * Abandon an attempt running longer than this (ms, 1..3600000) as a retryable timeout.
   * `null` means "no attempt timeout" and wins over weaker layers (a `configureResilience`
   * default, `LLM_RETRY_ATTEMPT_TIMEOUT_MS`); unset (`undefined`) lets the next layer decide.
   * A `RetryConfig` reads `undefined` for "none" either way.
   * @default undefined (none)
   */
  attemptTimeoutMs?: number | null;
  /**
   * Deadline of the whole call, waits included (ms, 1..86400000): no sleep ends past it.
   * `null` means "no deadline" and wins over weaker layers (a `configureResilience` default,
   * `LLM_RETRY_TOTAL_TIMEOUT_MS`); unset (`undefined`) lets the next layer decide.
   * A `RetryConfig` reads `undefined` for "none" either way.
   * @default undefined (none)
   */
  totalTimeoutMs?: number | null;
  /**
   * Per-key circuit breaker: off unless set; `true` for `CIRCUIT_BREAKER_DEFAULTS`, or an object.
   * `false` turns it off (also over a weaker layer that turns it on); `null` is rejected.
   * @default undefined (off)
   */
  circuitBreaker?: CircuitBreakerOptions | boolean;
  /**
   * Per-key retry budget: on with `RETRY_BUDGET_DEFAULTS` unless set; `false` turns it off.
   * `null` is rejected: it could be read as "unset" (on) or as "none" (off); say `false`.
   * @default undefined (on, with RETRY_BUDGET_DEFAULTS)
   */
  retryBudget?: RetryBudgetOptions | boolean;
  /**
   * Per-key concurrency limit with a queue: off unless set to `{ maxConcurrency, queueLimit? }`.
   * `false` turns it off (also over a weaker layer that sets one); `null` is rejected.
   * @default undefined (off)
   */
  bulkhead?: BulkheadSettings | false;
  /**
   * The upstream key of the calls (what shares a circuit breaker, retry budget, cooldown and
   * pacing): a per-agent config can bring its own. A decorator's `key` option wins over it.
   * At most 200 characters; a URL in it is better given as origin and path only.
   * Unset, the key is derived: `ClassName.method`, plus the instance's openai client (its base
   * URL's origin and path, Azure deployment and a short hash of its API key), so that agents of
   * one class that reach different upstreams never share state.
   * @default undefined (derived)
   */
  key?: string;
  /**
   * Streams: an attempt with no content item (see `streamCommit`) within this many ms of its
   * start is abandoned as a retryable timeout (ms, 1..3600000); its request is aborted. `null`
   * means "none" and wins over weaker layers.
   * @default undefined (none)
   */
  firstItemTimeoutMs?: number | null;
  /**
   * Streams: once committed, a stream with no item for this many ms (the caller's own time
   * between items does not count) ends with a `StreamInterruptedError` whose cause is a
   * `StreamTimeoutError` (ms, 1..3600000); its request is aborted. `null` means "none".
   * @default undefined (none)
   */
  idleTimeoutMs?: number | null;
  /**
   * Streams: true for the item that commits a stream (the first one handed to the caller).
   * Items before it are held back and retried with their attempt; after it a failure is a
   * `StreamInterruptedError`. Default: the content rule for `@RetryOpenAI`, `@RetryAzure` and
   * pipelines with `provider: 'openai' | 'azure'` (first text, refusal or tool-call delta);
   * the first item for the others. No environment variable.
   * @default undefined (the decorator's or pipeline's rule)
   * @example
   * ```ts
   * @RetryNetwork({ streamCommit: (event: { type: string }) => event.type === 'token' })
   * ```
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the items are the user's own type
  streamCommit?: (item: any) => boolean;
}

/** The name of one `RetryConfigFields` field, e.g. `'maxAttempts'`. */
export type RetryConfigField = keyof RetryConfigFields;

/** Every field name, in the order of the README table. */
export const RETRY_CONFIG_FIELDS = Object.freeze(Object.keys(RETRY_DEFAULTS)) as readonly RetryConfigField[];

const FIELD_SET: ReadonlySet<string> = new Set(RETRY_CONFIG_FIELDS);
/** Fields where `null` means "none" (and, as a layer, overrides the layers below). */
const NULLABLE_FIELDS: ReadonlySet<string> = new Set([
  'attemptTimeoutMs',
  'totalTimeoutMs',
  'firstItemTimeoutMs',
  'idleTimeoutMs',
]);
/** Fields switched off with `false`, where `null` would be ambiguous and is refused. */
const SWITCH_RULES: Partial<Record<RetryConfigField, string>> = {
  circuitBreaker: 'true, false or an object of circuit breaker options',
  retryBudget: 'true, false or an object of retry budget options',
  bulkhead: 'false or an object { maxConcurrency, queueLimit }',
};
/** Nested option objects, validated by their own policies (every issue named with its path). */
const NESTED_VALIDATORS: Partial<Record<RetryConfigField, (input: unknown) => { issues: RetryConfigIssue[] }>> = {
  circuitBreaker: (input) => validateCircuitBreakerOptions(input),
  retryBudget: (input) => validateRetryBudgetOptions(input),
  bulkhead: (input) => validateBulkheadOptions(input),
};
const BRAND = Symbol.for('llm-resilience.RetryConfig');
const LAYER = Symbol('llm-resilience.RetryConfig.layer');

/**
 * Retry settings of one agent, service or method. `new RetryConfig(partial)` fills the
 * defaults and validates; `RetryConfig.from(plain)` does the same for untyped input.
 *
 * A config is **immutable**: once validated it is frozen, nested option objects included
 * (it keeps frozen copies of the objects it was given), so assigning a field throws a
 * `TypeError`. Build a new one instead: `new RetryConfig({ ...fields, maxAttempts: 5 })`.
 *
 * A config remembers which fields were given explicitly: when configs are layered
 * (decorator options, per-agent config, process defaults, environment), a field it was
 * not given falls through to the next layer instead of pinning the built-in default.
 * A timeout given as `null` means "none" and does not fall through.
 *
 * @example
 * ```ts
 * class ChatAgent {
 *   // Picked up by the decorators from `this.retryConfig`.
 *   readonly retryConfig = new RetryConfig({ maxAttempts: 4, totalTimeoutMs: 60_000 });
 *
 *   @RetryOpenAI()
 *   async complete(question: string) { ... }
 * }
 *
 * RetryConfig.from(JSON.parse(text)); // untyped input: unknown keys are rejected
 * RetryConfig.fromEnv();              // LLM_RETRY_MAX_ATTEMPTS, ...
 * new RetryConfig({ totalTimeoutMs: null }); // no deadline, whatever the defaults say
 * ```
 * @throws RetryConfigError listing every violated rule.
 */
export class RetryConfig implements RetryConfigFields {
  /**
   * {@inheritDoc RetryConfigFields.maxAttempts}
   * @default 3
   */
  readonly maxAttempts: number = RETRY_DEFAULTS.maxAttempts;
  /**
   * {@inheritDoc RetryConfigFields.baseDelayMs}
   * @default 1000
   */
  readonly baseDelayMs: number = RETRY_DEFAULTS.baseDelayMs;
  /**
   * {@inheritDoc RetryConfigFields.maxDelayMs}
   * @default 30000
   */
  readonly maxDelayMs: number = RETRY_DEFAULTS.maxDelayMs;
  /**
   * {@inheritDoc RetryConfigFields.exponentialBase}
   * @default 2
   */
  readonly exponentialBase: number = RETRY_DEFAULTS.exponentialBase;
  /**
   * {@inheritDoc RetryConfigFields.jitter}
   * @default 'full'
   */
  readonly jitter: JitterMode = RETRY_DEFAULTS.jitter;
  /**
   * {@inheritDoc RetryConfigFields.respectRetryAfter}
   * @default true
   */
  readonly respectRetryAfter: boolean = RETRY_DEFAULTS.respectRetryAfter;
  /**
   * {@inheritDoc RetryConfigFields.maxRetryAfterMs}
   * @default 60000
   */
  readonly maxRetryAfterMs: number = RETRY_DEFAULTS.maxRetryAfterMs;
  /**
   * Abandon an attempt running longer than this (ms, 1..3600000) as a retryable timeout;
   * `undefined` when none (also when given as `null`, which as a layer overrides weaker layers).
   * @default undefined (none)
   */
  readonly attemptTimeoutMs?: number = RETRY_DEFAULTS.attemptTimeoutMs;
  /**
   * Deadline of the whole call, waits included (ms, 1..86400000); `undefined` when none (also
   * when given as `null`, which as a layer overrides weaker layers).
   * @default undefined (none)
   */
  readonly totalTimeoutMs?: number = RETRY_DEFAULTS.totalTimeoutMs;
  /**
   * {@inheritDoc RetryConfigFields.circuitBreaker}
   * @default undefined (off)
   */
  readonly circuitBreaker?: Readonly<CircuitBreakerOptions> | boolean;
  /**
   * {@inheritDoc RetryConfigFields.retryBudget}
   * @default undefined (on, with RETRY_BUDGET_DEFAULTS)
   */
  readonly retryBudget?: Readonly<RetryBudgetOptions> | boolean;
  /**
   * {@inheritDoc RetryConfigFields.bulkhead}
   * @default undefined (off)
   */
  readonly bulkhead?: Readonly<BulkheadSettings> | false;
  /**
   * {@inheritDoc RetryConfigFields.key}
   * @default undefined (derived)
   */
  readonly key?: string;
  /**
   * Streams: the longest wait for the first content item (ms); `undefined` when none.
   * @default undefined (none)
   */
  readonly firstItemTimeoutMs?: number = RETRY_DEFAULTS.firstItemTimeoutMs;
  /**
   * Streams: the longest wait for an item once committed (ms); `undefined` when none.
   * @default undefined (none)
   */
  readonly idleTimeoutMs?: number = RETRY_DEFAULTS.idleTimeoutMs;
  /**
   * {@inheritDoc RetryConfigFields.streamCommit}
   * @default undefined (the decorator's or pipeline's rule)
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see RetryConfigFields.streamCommit
  readonly streamCommit?: (item: any) => boolean;

  /** @internal The fields this config was given explicitly, as a frozen layer (`null`: none). */
  declare readonly [LAYER]: Readonly<Partial<RetryConfigFields>>;

  /**
   * @param partial - The fields to set; the others keep their defaults. `null` timeouts mean "none".
   * @throws RetryConfigError listing every violated rule (unknown keys with did-you-mean hints).
   */
  constructor(partial?: Partial<RetryConfigFields>) {
    const layer: Partial<Record<RetryConfigField, unknown>> = {};
    const issues = partial === undefined || partial === null ? [] : unknownFieldIssues(partial);
    if (partial !== undefined && partial !== null) {
      const self = this as unknown as Record<string, unknown>;
      for (const field of RETRY_CONFIG_FIELDS) {
        let value = (partial as Record<string, unknown>)[field];
        if (value === undefined) continue;
        if (value === null && NULLABLE_FIELDS.has(field)) {
          // "None", explicitly: reads `undefined`, but as a layer it overrides the layers below.
          layer[field] = null;
          continue;
        }
        if (value === null && SWITCH_RULES[field] !== undefined) {
          issues.push({
            field,
            message: `${field} must be ${SWITCH_RULES[field]}; null is not accepted (false turns it off)`,
          });
          continue;
        }
        // The config keeps its own frozen copy of a nested options object.
        if (isPlainObject(value)) value = deepFrozenCopy(value);
        self[field] = value;
        layer[field] = value;
      }
    }
    Object.defineProperty(this, LAYER, { value: Object.freeze(layer), enumerable: false });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    issues.push(...validationIssues(this));
    if (issues.length > 0) throw new RetryConfigError(issues);
    Object.freeze(this);
  }

  /**
   * Validates untyped input (parsed JSON, a config file) and returns a `RetryConfig`; a
   * `RetryConfig` given is copied (same fields, `null` timeouts included).
   * @throws RetryConfigError listing every violated rule.
   */
  static from(plain: unknown): RetryConfig {
    if (isRetryConfig(plain)) return new RetryConfig(explicitFields(plain));
    if (!isPlainObject(plain)) {
      throw new RetryConfigError([{ field: 'retryConfig', message: 'retryConfig must be a plain object' }]);
    }
    return new RetryConfig(plain as Partial<RetryConfigFields>);
  }

  /**
   * Reads the `LLM_RETRY_*` environment variables. Unset (or empty) variables keep the
   * defaults; a bad value throws a `RetryConfigError` naming the variable.
   */
  static fromEnv(env: Record<string, string | undefined> = process.env): RetryConfig {
    const values: Partial<Record<RetryConfigField, unknown>> = {};
    const issues: RetryConfigIssue[] = [];
    for (const field of RETRY_CONFIG_FIELDS) {
      const variable = envVarOf(field);
      if (variable === undefined) continue;
      const raw = env[variable]?.trim();
      if (raw === undefined || raw === '') continue;
      const parsed = parseEnvValue(field, raw);
      if ('rule' in parsed) {
        issues.push({ field: variable, message: `${variable} ${parsed.rule} (received ${describeReceived(raw)})` });
      } else values[field] = parsed.value;
    }
    if (issues.length > 0) throw new RetryConfigError(issues);
    try {
      return new RetryConfig(values as Partial<RetryConfigFields>);
    } catch (error) {
      // Name the variables, not the fields, in every message (cross-field ones name two).
      const fieldNames = new RegExp(`\\b(${RETRY_CONFIG_FIELDS.join('|')})\\b`, 'g');
      const rangeIssues = (error as RetryConfigError).issues.map((issue) => ({
        field: envVarOf(issue.field) ?? issue.field,
        message: issue.message.replace(fieldNames, (field) => envVarOf(field) ?? field),
      }));
      throw new RetryConfigError(rangeIssues);
    }
  }
}

/**
 * True for a `RetryConfig`, also one created by another copy of the library.
 *
 * @example
 * ```ts
 * const config = isRetryConfig(value) ? value : new RetryConfig(value);
 * ```
 */
export function isRetryConfig(value: unknown): value is RetryConfig {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * The fields a config sets as a layer: those it was given explicitly (`null` for a timeout
 * given as "none"). Frozen; the same object on every call for a config of this copy of the
 * library.
 */
export function explicitFields(config: RetryConfig): Readonly<Partial<RetryConfigFields>> {
  const layer = config[LAYER];
  if (layer !== undefined) return layer;
  // A RetryConfig of another copy of the library: the fields that differ from the defaults.
  const out: Partial<Record<RetryConfigField, unknown>> = {};
  for (const field of RETRY_CONFIG_FIELDS) {
    const value = config[field];
    if (value !== undefined && value !== RETRY_DEFAULTS[field]) out[field] = value;
  }
  return Object.freeze(out) as Partial<RetryConfigFields>;
}

/** A frozen copy of a plain options object (nested plain objects and arrays copied too). */
function deepFrozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(deepFrozenCopy));
  if (!isPlainObject(value)) return value;
  // fromEntries defines the keys: a JSON "__proto__" key stays a key (and is reported as unknown).
  return Object.freeze(Object.fromEntries(Object.entries(value).map(([key, item]) => [key, deepFrozenCopy(item)])));
}

/** One issue per unknown key, with a suggestion when it looks like a typo. */
export function unknownFieldIssues(input: object, allowed: ReadonlySet<string> = FIELD_SET): RetryConfigIssue[] {
  const issues: RetryConfigIssue[] = [];
  for (const key of Object.keys(input)) {
    if (allowed.has(key)) continue;
    const hint = retriesHint(key, (input as Record<string, unknown>)[key], allowed);
    const suggestion = closestName(key, [...allowed]);
    const help = hint ?? (suggestion ? `did you mean ${suggestion}?` : undefined);
    issues.push({ field: key, message: `${key} is not a retry option${help ? ` (${help})` : ''}` });
  }
  return issues;
}

/** Names other libraries give the number of retries (p-retry, openai, axios-retry, tenacity...). */
const RETRY_COUNT_NAMES: ReadonlySet<string> = new Set(['maxretries', 'retries', 'retry', 'maxretry', 'retrycount']);

/**
 * `maxRetries: 2` means 3 attempts: say so, with the number to write, when a retry count is
 * given where `maxAttempts` (which counts the first attempt) is meant.
 */
function retriesHint(key: string, value: unknown, allowed: ReadonlySet<string>): string | undefined {
  if (!allowed.has('maxAttempts') || !RETRY_COUNT_NAMES.has(key.toLowerCase())) return undefined;
  const retries = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 2;
  return `did you mean maxAttempts? It counts attempts, the first included: ${key} ${retries} = maxAttempts ${retries + 1}`;
}

/** Our wording of class-validator's rules (its stock wording does not say what was received). */
const RULE_WORDING: Record<string, (field: string) => string> = {
  isInt: (field) => `${field} must be an integer`,
  isNumber: (field) => `${field} must be a finite number`,
  isIn: (field) => `${field} must be one of ${JITTER_MODES.join(', ')}`,
  isBoolean: (field) => `${field} must be true or false`,
  isString: (field) => `${field} must be a string`,
  minLength: (field) => `${field} must not be empty`,
  maxLength: (field) => `${field} must be at most 200 characters`,
};

/** Every rule the config breaks (first broken rule per field), as issues. */
export function validationIssues(config: RetryConfig): RetryConfigIssue[] {
  const errors = validateSync(config, { stopAtFirstError: true, forbidUnknownValues: false });
  const issues = errors.flatMap((error) =>
    Object.entries(error.constraints ?? {}).map(([rule, stock]) => ({
      field: error.property,
      message: `${RULE_WORDING[rule]?.(error.property) ?? stock} (received ${describeReceived(error.value)})`,
    })),
  );
  for (const [field, validate] of Object.entries(NESTED_VALIDATORS)) {
    const value = config[field as RetryConfigField];
    if (value !== undefined) issues.push(...validate!(value).issues);
  }
  return issues;
}

type Parsed = { ok: true; value: unknown } | { ok: false; rule: string };

function parseEnvValue(field: RetryConfigField, raw: string): Parsed {
  switch (field) {
    case 'maxAttempts':
      return /^[+-]?\d+$/.test(raw) ? { ok: true, value: Number(raw) } : { ok: false, rule: 'must be an integer' };
    case 'jitter':
      return (JITTER_MODES as readonly string[]).includes(raw.toLowerCase())
        ? { ok: true, value: raw.toLowerCase() }
        : { ok: false, rule: `must be one of ${JITTER_MODES.join(', ')}` };
    case 'circuitBreaker':
    case 'retryBudget':
    case 'bulkhead': {
      // A switch word, or the options as JSON: LLM_RETRY_CIRCUIT_BREAKER='{"failureThreshold":3}'.
      const word = parseSwitch(raw);
      if (word !== undefined) return { ok: true, value: word };
      try {
        return { ok: true, value: JSON.parse(raw) };
      } catch {
        return { ok: false, rule: 'must be true, false or a JSON object of options' };
      }
    }
    case 'key':
      return { ok: true, value: raw };
    case 'respectRetryAfter': {
      const word = parseSwitch(raw);
      return word === undefined
        ? { ok: false, rule: 'must be one of true, false, 1, 0, yes, no' }
        : { ok: true, value: word };
    }
    default:
      // Decimal notation only: `0x10` or `0b1` in a delay is more likely a mistake than intent.
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) && Number.isFinite(Number(raw))
        ? { ok: true, value: Number(raw) }
        : { ok: false, rule: 'must be a number' };
  }
}

function parseSwitch(raw: string): boolean | undefined {
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'yes') return true;
  if (lower === 'false' || lower === '0' || lower === 'no') return false;
  return undefined;
}

// The rules, applied without decorator syntax so that this file compiles in either
// decorator mode (class-validator's property decorators are legacy-only).
const finite = { allowNaN: false, allowInfinity: false };
const notBelowBaseDelay = ValidateBy({
  name: 'notBelowBaseDelay',
  validator: {
    validate: (value: unknown, args?: ValidationArguments) => {
      const base = (args?.object as RetryConfig).baseDelayMs;
      // A broken baseDelayMs is reported on its own; do not report it twice.
      return typeof value !== 'number' || typeof base !== 'number' || !Number.isFinite(base) || value >= base;
    },
    defaultMessage: (args?: ValidationArguments) =>
      `maxDelayMs must not be less than baseDelayMs (${(args?.object as RetryConfig).baseDelayMs})`,
  },
});

const RULES: Partial<Record<RetryConfigField, PropertyDecorator[]>> = {
  maxAttempts: [IsInt(), Min(1), Max(10)],
  baseDelayMs: [IsNumber(finite), Min(100), Max(60_000)],
  maxDelayMs: [IsNumber(finite), Max(300_000), notBelowBaseDelay],
  exponentialBase: [IsNumber(finite), Min(1), Max(10)],
  jitter: [IsIn([...JITTER_MODES])],
  respectRetryAfter: [IsBoolean()],
  maxRetryAfterMs: [IsNumber(finite), Min(0), Max(3_600_000)],
  attemptTimeoutMs: [IsOptional(), IsNumber(finite), Min(1), Max(3_600_000)],
  totalTimeoutMs: [IsOptional(), IsNumber(finite), Min(1), Max(86_400_000)],
  key: [IsOptional(), IsString(), MinLength(1), MaxLength(200)],
  firstItemTimeoutMs: [IsOptional(), IsNumber(finite), Min(1), Max(3_600_000)],
  idleTimeoutMs: [IsOptional(), IsNumber(finite), Min(1), Max(3_600_000)],
  streamCommit: [
    IsOptional(),
    ValidateBy({
      name: 'isFunction',
      validator: {
        validate: (value: unknown) => typeof value === 'function',
        defaultMessage: () => 'streamCommit must be a function (item) => boolean',
      },
    }),
  ],
};
for (const field of RETRY_CONFIG_FIELDS) {
  for (const rule of RULES[field] ?? []) rule(RetryConfig.prototype, field);
}
