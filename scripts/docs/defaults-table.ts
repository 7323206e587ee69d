// docs/defaults.md: every RetryConfig field (nested options included) with its default, the
// rule that validates it and its environment variable. Defaults are read from the exported
// constants; every documented rule is probed against the real validators before it is
// printed, so a rule that drifts from the code stops the generator.

import {
  API_KEY_ENV_VARS,
  DEFAULT_AZURE_API_VERSION,
  DEFAULT_LOG_LEVEL,
  JITTER_MODES,
  LOG_LEVEL_ENV_VAR,
  RETRY_AFTER_JITTER_FRACTION,
  RETRY_DEFAULTS,
  RETRY_ENV_VARS,
  envVarOf,
} from '../../src/config/defaults';
import { RETRY_CONFIG_FIELDS, RetryConfig, RetryConfigField } from '../../src/config/retry-config';
import { isRetryConfigError, RetryConfigIssue } from '../../src/config/retry-config-error';
import {
  CIRCUIT_BREAKER_DEFAULTS,
  CIRCUIT_BREAKER_OPTION_NAMES,
  validateCircuitBreakerOptions,
} from '../../src/strategies/circuit-breaker/circuit-breaker-options';
import {
  RETRY_BUDGET_DEFAULTS,
  RETRY_BUDGET_OPTION_NAMES,
  validateRetryBudgetOptions,
} from '../../src/strategies/retry-budget/retry-budget-options';
import {
  BULKHEAD_OPTION_NAMES,
  DEFAULT_BULKHEAD_QUEUE_LIMIT,
  validateBulkheadOptions,
} from '../../src/strategies/bulkhead/bulkhead-options';
import { code, generatedBanner, inlineObject, literal, table } from './markdown';

/** A numeric rule, rendered as text and turned into boundary probes. */
interface NumberRule {
  integer: boolean;
  /** Inclusive unless `minExclusive`. */
  min: number;
  minExclusive?: boolean;
  /** Inclusive; none means "no upper bound" (MAX_SAFE_INTEGER is probed). */
  max?: number;
}

/** One probe of a validator: this input must be accepted (or rejected) for `field`. */
interface Probe {
  input: Record<string, unknown>;
  accepted: boolean;
}

interface OptionDoc {
  name: string;
  /** The default as shown in the table. */
  defaultText: string;
  rule: string;
  /** Probes of the rule (numeric rules get theirs from `numberRule`). */
  numberRule?: NumberRule;
  probes?: Probe[];
  /** Other fields every probe of `numberRule` sets (for rules that depend on another field). */
  probeBase?: Record<string, unknown>;
  env?: string;
}

/** A validator answering with the issues it finds in `{ field: value, ... }`. */
type Validator = (input: Record<string, unknown>) => RetryConfigIssue[];

const retryConfigIssues: Validator = (input) => {
  try {
    new RetryConfig(input);
    return [];
  } catch (error) {
    if (isRetryConfigError(error)) return error.issues;
    throw error;
  }
};
const circuitBreakerIssues: Validator = (input) => validateCircuitBreakerOptions(input).issues;
const retryBudgetIssues: Validator = (input) => validateRetryBudgetOptions(input).issues;
const bulkheadIssues: Validator = (input) => validateBulkheadOptions(input).issues;

const BOOLEAN_WORDS = '`true`/`false`/`1`/`0`/`yes`/`no`, any case';

function describeNumberRule(rule: NumberRule): string {
  const what = rule.integer ? 'integer' : 'number';
  const low = `${rule.minExclusive ? 'greater than' : rule.max === undefined ? 'at least' : 'from'} ${rule.min}`;
  if (rule.max === undefined) return `${what} ${low}`;
  return rule.minExclusive ? `${what} ${low}, at most ${rule.max}` : `${what} ${low} to ${rule.max}`;
}

/** Boundary probes of a numeric rule: both ends in, just outside out, fractions per `integer`. */
function numberProbes(field: string, rule: NumberRule, base: Record<string, unknown> = {}): Probe[] {
  const probe = (value: unknown, accepted: boolean): Probe => ({ input: { ...base, [field]: value }, accepted });
  const step = rule.integer ? 1 : 0.5;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const probes = [
    probe(rule.minExclusive ? rule.min + step / 10 : rule.min, true),
    probe(rule.minExclusive ? rule.min : rule.min - step, false),
    probe(max, true),
    probe(Number.NaN, false),
    probe('5', false),
  ];
  if (rule.max !== undefined) probes.push(probe(rule.max + step, false));
  // Only a fraction strictly inside the range says something about integrality.
  const inside = rule.min + 0.5;
  if (inside < max) probes.push(probe(inside, !rule.integer));
  return probes;
}

function topLevelOptions(): OptionDoc[] {
  const env = (field: RetryConfigField) => envVarOf(field) ?? '';
  const number = (field: RetryConfigField, rule: NumberRule, note?: string): OptionDoc => ({
    name: field,
    defaultText: literal(RETRY_DEFAULTS[field]),
    rule: note ? `${describeNumberRule(rule)}; ${note}` : describeNumberRule(rule),
    numberRule: rule,
    env: `${code(env(field))}: ${rule.integer ? 'an integer' : 'a decimal number'}`,
  });
  const base = RETRY_DEFAULTS.baseDelayMs;
  const switchOrJson = (field: RetryConfigField) =>
    `${code(env(field))}: ${BOOLEAN_WORDS}, or a JSON object of options`;
  return [
    number('maxAttempts', { integer: true, min: 1, max: 10 }, 'counts every attempt: 3 = one call and two retries'),
    number('baseDelayMs', { integer: false, min: 100, max: 60_000 }, 'the first backoff, before jitter'),
    {
      name: 'maxDelayMs',
      defaultText: literal(RETRY_DEFAULTS.maxDelayMs),
      rule: 'number, at least `baseDelayMs` and at most 300000; caps every backoff',
      probes: [
        { input: { maxDelayMs: base }, accepted: true },
        { input: { maxDelayMs: base - 1 }, accepted: false },
        { input: { maxDelayMs: 300_000 }, accepted: true },
        { input: { maxDelayMs: 300_001 }, accepted: false },
        { input: { maxDelayMs: base + 0.5 }, accepted: true },
      ],
      env: `${code(env('maxDelayMs'))}: a decimal number`,
    },
    number(
      'exponentialBase',
      { integer: false, min: 1, max: 10 },
      'backoff = `baseDelayMs * exponentialBase ** (attempt - 1)`',
    ),
    {
      name: 'jitter',
      defaultText: literal(RETRY_DEFAULTS.jitter),
      rule: `one of ${JITTER_MODES.map((mode) => code(`'${mode}'`)).join(', ')}`,
      probes: [
        ...JITTER_MODES.map((mode) => ({ input: { jitter: mode }, accepted: true })),
        { input: { jitter: 'FULL' }, accepted: false },
      ],
      env: `${code(env('jitter'))}: one of the modes, any case`,
    },
    {
      name: 'respectRetryAfter',
      defaultText: literal(RETRY_DEFAULTS.respectRetryAfter),
      rule: 'boolean; waits at least what `retry-after-ms`, `x-ms-retry-after-ms` or `retry-after` ask for',
      probes: [
        { input: { respectRetryAfter: false }, accepted: true },
        { input: { respectRetryAfter: 'false' }, accepted: false },
      ],
      env: `${code(env('respectRetryAfter'))}: ${BOOLEAN_WORDS}`,
    },
    number(
      'maxRetryAfterMs',
      { integer: false, min: 0, max: 3_600_000 },
      'a longer server-requested wait fails the call at once',
    ),
    number(
      'attemptTimeoutMs',
      { integer: false, min: 1, max: 3_600_000 },
      '`null`: none, over weaker layers; unset: the next layer; an attempt running longer is abandoned as a retryable timeout',
    ),
    number(
      'totalTimeoutMs',
      { integer: false, min: 1, max: 86_400_000 },
      '`null`: none, over weaker layers; unset: the next layer; no wait starts or lasts past this deadline',
    ),
    {
      name: 'circuitBreaker',
      defaultText: offOrOn(validateCircuitBreakerOptions(undefined).value, 'circuitBreaker'),
      rule: '`true` (on, with the defaults below), `false`, or an object of the options below',
      probes: [
        { input: { circuitBreaker: true }, accepted: true },
        { input: { circuitBreaker: false }, accepted: true },
        { input: { circuitBreaker: {} }, accepted: true },
        { input: { circuitBreaker: 'on' }, accepted: false },
      ],
      env: switchOrJson('circuitBreaker'),
    },
    {
      name: 'retryBudget',
      defaultText: offOrOn(validateRetryBudgetOptions(undefined).value, 'retryBudget'),
      rule: '`true` (the defaults below), `false` (off), or an object of the options below',
      probes: [
        { input: { retryBudget: false }, accepted: true },
        { input: { retryBudget: { capacity: 10 } }, accepted: true },
        { input: { retryBudget: 1 }, accepted: false },
      ],
      env: switchOrJson('retryBudget'),
    },
    {
      name: 'bulkhead',
      defaultText: offOrOn(validateBulkheadOptions(undefined).value, 'bulkhead'),
      rule: '`false`, or an object of the options below (`maxConcurrency` required)',
      probes: [
        { input: { bulkhead: false }, accepted: true },
        { input: { bulkhead: { maxConcurrency: 4 } }, accepted: true },
        { input: { bulkhead: {} }, accepted: false },
        { input: { bulkhead: true }, accepted: false },
      ],
      // `true` has no meaning for a bulkhead (no default concurrency suits every upstream).
      env: `${code(env('bulkhead'))}: \`false\`/\`0\`/\`no\`, any case, or a JSON object of options`,
    },
    {
      name: 'key',
      defaultText:
        "`ClassName.method`, plus the instance's openai client (base URL's origin and path, Azure deployment, a short hash of the API key)",
      rule: "a non-empty string of at most 200 characters; a decorator's `key` option (a string, or a function of the instance and arguments) wins over it",
      probes: [
        { input: { key: 'openai|eu' }, accepted: true },
        { input: { key: '' }, accepted: false },
        { input: { key: 'x'.repeat(201) }, accepted: false },
        { input: { key: 7 }, accepted: false },
      ],
      env: code(env('key')),
    },
    number(
      'firstItemTimeoutMs',
      { integer: false, min: 1, max: 3_600_000 },
      '`null`: none, over weaker layers; streams: an attempt with no content item within it is a retryable timeout',
    ),
    number(
      'idleTimeoutMs',
      { integer: false, min: 1, max: 3_600_000 },
      '`null`: none, over weaker layers; streams: no item for this long after the commit point ends the stream (`StreamInterruptedError`)',
    ),
    {
      name: 'streamCommit',
      defaultText:
        "the content rule (`@RetryOpenAI`, `@RetryAzure`, `provider: 'openai' | 'azure'`), else the first item",
      rule: 'a function `(item) => boolean`: true for the item that commits a stream',
      probes: [
        { input: { streamCommit: () => true }, accepted: true },
        { input: { streamCommit: true }, accepted: false },
      ],
      env: 'none (a function)',
    },
  ];
}

function offOrOn(resolved: unknown, field: string): string {
  if (resolved === undefined || resolved === false) return 'off';
  return `on, with the \`${field}\` defaults below`;
}

function circuitBreakerOptions(): OptionDoc[] {
  const defaults: Record<string, number | undefined> = { ...CIRCUIT_BREAKER_DEFAULTS };
  const integer = (name: string, min: number, max: number, note: string): OptionDoc => ({
    name,
    defaultText: literal(defaults[name]),
    rule: `${describeNumberRule({ integer: true, min, max })}; ${note}`,
    numberRule: { integer: true, min, max },
  });
  // The open wait's cap follows a longer halfOpenAfterMs when not given.
  const longWait = CIRCUIT_BREAKER_DEFAULTS.maxHalfOpenAfterMs * 2;
  const followed = validateCircuitBreakerOptions({ halfOpenAfterMs: longWait }).value?.maxHalfOpenAfterMs === longWait;
  return [
    integer('failureThreshold', 1, 1000, 'consecutive counted failures that open the circuit (consecutive mode)'),
    {
      name: 'failureRatio',
      defaultText: 'none (consecutive mode)',
      rule: 'number greater than 0, at most 1; the share of counted failures over `samplingDurationMs` that opens the circuit (ratio mode); not together with `failureThreshold`',
      numberRule: { integer: false, min: 0, minExclusive: true, max: 1 },
      probes: [{ input: { failureRatio: 0.5, failureThreshold: 5 }, accepted: false }],
    },
    integer('minimumThroughput', 1, 1_000_000, 'calls seen in the window before `failureRatio` is judged'),
    integer('samplingDurationMs', 100, 86_400_000, 'the sliding window of `failureRatio`'),
    integer('halfOpenAfterMs', 1, 86_400_000, 'how long the circuit stays open before probes go through'),
    {
      ...integer(
        'maxHalfOpenAfterMs',
        1,
        86_400_000,
        'cap of the open wait, which doubles after each failed probe; at least `halfOpenAfterMs`',
      ),
      defaultText: `${literal(CIRCUIT_BREAKER_DEFAULTS.maxHalfOpenAfterMs)}${followed ? ' (or `halfOpenAfterMs`, when longer)' : ''}`,
      probeBase: { halfOpenAfterMs: 1 },
      probes: [{ input: { halfOpenAfterMs: 1000, maxHalfOpenAfterMs: 999 }, accepted: false }],
    },
    integer('halfOpenMaxCalls', 1, 1000, 'probes let through at once while half-open'),
    integer(
      'probeTimeoutMs',
      1,
      86_400_000,
      'attempt timeout of a half-open probe when the call sets no `attemptTimeoutMs`; a probe that hangs longer is a failed probe',
    ),
  ];
}

function retryBudgetOptions(): OptionDoc[] {
  const capacity = RETRY_BUDGET_DEFAULTS.capacity;
  const costProbes = (name: string): Probe[] => [
    { input: { capacity: 10, [name]: 10 }, accepted: true },
    { input: { capacity: 10, [name]: 11 }, accepted: false },
  ];
  return [
    {
      name: 'capacity',
      defaultText: literal(capacity),
      rule: 'integer at least 1; tokens in a full bucket (it starts full)',
      numberRule: { integer: true, min: 1 },
    },
    {
      name: 'retryCost',
      defaultText: literal(RETRY_BUDGET_DEFAULTS.retryCost),
      rule: 'integer at least 1, at most `capacity`; tokens a retry takes',
      probes: [
        { input: { retryCost: 0 }, accepted: false },
        { input: { retryCost: 1.5 }, accepted: false },
        ...costProbes('retryCost'),
      ],
    },
    {
      name: 'timeoutCost',
      defaultText: literal(RETRY_BUDGET_DEFAULTS.timeoutCost),
      rule: 'integer at least 1, at most `capacity`; tokens a retry after a timeout takes',
      probes: [{ input: { timeoutCost: 0 }, accepted: false }, ...costProbes('timeoutCost')],
    },
    {
      name: 'successRefund',
      defaultText: literal(RETRY_BUDGET_DEFAULTS.successRefund),
      rule: 'integer at least 0; tokens a call that succeeded without retrying gives back',
      numberRule: { integer: true, min: 0 },
    },
  ];
}

function bulkheadOptions(): OptionDoc[] {
  return [
    {
      name: 'maxConcurrency',
      defaultText: 'none: required',
      rule: 'integer at least 1; attempts allowed to run at once per key',
      numberRule: { integer: true, min: 1 },
      probes: [{ input: { maxConcurrency: undefined, queueLimit: 5 }, accepted: false }],
    },
    {
      name: 'queueLimit',
      defaultText: literal(DEFAULT_BULKHEAD_QUEUE_LIMIT),
      rule: 'integer at least 0; attempts allowed to wait for a slot (one more is rejected with `BulkheadRejectedError`)',
      numberRule: { integer: true, min: 0 },
    },
  ];
}

/** Every probe of every option, run against `validate`; the failures, as sentences. */
function probeProblems(
  group: string,
  options: OptionDoc[],
  validate: Validator,
  base: Record<string, unknown> = {},
): string[] {
  const problems: string[] = [];
  for (const option of options) {
    const probes = [
      ...(option.numberRule ? numberProbes(option.name, option.numberRule, option.probeBase) : []),
      ...(option.probes ?? []),
    ];
    for (const probe of probes) {
      const input = { ...base, ...probe.input };
      const { name } = option;
      const issues = validate(input).filter(
        (issue) => issue.field === name || issue.field.endsWith(`.${name}`) || issue.field.startsWith(`${name}.`),
      );
      const accepted = issues.length === 0;
      if (accepted !== probe.accepted) {
        problems.push(
          `${group}.${option.name}: the documented rule "${option.rule}" says ${JSON.stringify(input)} is ` +
            `${probe.accepted ? 'accepted' : 'rejected'}, but the validator ${accepted ? 'accepts it' : `says: ${issues.map((i) => i.message).join('; ')}`}`,
        );
      }
    }
  }
  return problems;
}

function sameNames(group: string, documented: OptionDoc[], actual: readonly string[]): string[] {
  const names = documented.map((option) => option.name);
  const missing = actual.filter((name) => !names.includes(name));
  const extra = names.filter((name) => !actual.includes(name));
  return [
    ...missing.map(
      (name) => `${group}: option ${name} exists in the code but has no row in scripts/docs/defaults-table.ts`,
    ),
    ...extra.map((name) => `${group}: option ${name} is documented but does not exist in the code`),
  ];
}

/** An environment value for each field, parsed by `RetryConfig.fromEnv` to what the table says. */
function envProblems(): string[] {
  const samples: Record<RetryConfigField, [string, unknown]> = {
    maxAttempts: ['4', 4],
    baseDelayMs: ['250.5', 250.5],
    maxDelayMs: ['40000', 40_000],
    exponentialBase: ['1.5', 1.5],
    jitter: ['Equal', 'equal'],
    respectRetryAfter: ['NO', false],
    maxRetryAfterMs: ['0', 0],
    attemptTimeoutMs: ['5000', 5000],
    totalTimeoutMs: ['60000', 60_000],
    circuitBreaker: ['{"failureThreshold":3}', { failureThreshold: 3 }],
    retryBudget: ['false', false],
    bulkhead: ['{"maxConcurrency":4}', { maxConcurrency: 4 }],
    key: ['openai|eu', 'openai|eu'],
    firstItemTimeoutMs: ['2500', 2500],
    idleTimeoutMs: ['30000', 30_000],
    streamCommit: ['', undefined],
  };
  const problems: string[] = [];
  // Values the table says are refused.
  for (const [variable, raw] of [
    [RETRY_ENV_VARS.bulkhead, 'true'],
    [RETRY_ENV_VARS.maxAttempts, '2.5'],
    [RETRY_ENV_VARS.baseDelayMs, '0x10'],
  ]) {
    try {
      RetryConfig.fromEnv({ [variable]: raw });
      problems.push(`${variable}=${raw} is accepted, the table says it is refused`);
    } catch {
      // Refused, as documented.
    }
  }
  for (const field of RETRY_CONFIG_FIELDS) {
    const [raw, expected] = samples[field];
    const variable = envVarOf(field);
    if (variable === undefined) continue;
    try {
      const value = RetryConfig.fromEnv({ [variable]: raw })[field];
      if (JSON.stringify(value) !== JSON.stringify(expected)) {
        problems.push(
          `${variable}=${raw} gives ${JSON.stringify(value)}, the table implies ${JSON.stringify(expected)}`,
        );
      }
    } catch (error) {
      problems.push(`${variable}=${raw} is rejected: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** The documented options, checked against the code (throws, listing every mismatch). */
export function documentedDefaults(): {
  topLevel: OptionDoc[];
  circuitBreaker: OptionDoc[];
  retryBudget: OptionDoc[];
  bulkhead: OptionDoc[];
} {
  const topLevel = topLevelOptions();
  const circuitBreaker = circuitBreakerOptions();
  const retryBudget = retryBudgetOptions();
  const bulkhead = bulkheadOptions();
  const problems = [
    ...sameNames('RetryConfig', topLevel, RETRY_CONFIG_FIELDS),
    ...sameNames('circuitBreaker', circuitBreaker, CIRCUIT_BREAKER_OPTION_NAMES),
    ...sameNames('retryBudget', retryBudget, RETRY_BUDGET_OPTION_NAMES),
    ...sameNames('bulkhead', bulkhead, BULKHEAD_OPTION_NAMES),
    ...probeProblems('RetryConfig', topLevel, retryConfigIssues),
    ...probeProblems('circuitBreaker', circuitBreaker, circuitBreakerIssues),
    ...probeProblems('retryBudget', retryBudget, retryBudgetIssues),
    ...probeProblems('bulkhead', bulkhead, bulkheadIssues, { maxConcurrency: 1 }),
    ...envProblems(),
  ];
  if (problems.length > 0) throw new Error(`docs/defaults.md would not match the code:\n- ${problems.join('\n- ')}`);
  return { topLevel, circuitBreaker, retryBudget, bulkhead };
}

export function renderDefaults(): string {
  const { topLevel, circuitBreaker, retryBudget, bulkhead } = documentedDefaults();
  const nested = (options: OptionDoc[]) =>
    table(
      ['option', 'default', 'rule'],
      options.map((option) => [code(option.name), option.defaultText, option.rule]),
    );
  return [
    generatedBanner("src/config/defaults.ts, src/config/retry-config.ts and the policies' option files"),
    '',
    '# Defaults',
    '',
    'Every field of `RetryConfig`, with its built-in default (`RETRY_DEFAULTS`, `CIRCUIT_BREAKER_DEFAULTS`,',
    '`RETRY_BUDGET_DEFAULTS`), the rule `new RetryConfig()` / `RetryConfig.from()` enforce, and the',
    'environment variable `RetryConfig.fromEnv()` reads. A value that breaks a rule throws a',
    '`RetryConfigError` naming the field (or the variable) and the rule, with every problem listed at once.',
    'Unknown fields are rejected with a did-you-mean hint.',
    '',
    "Each field of a call's configuration comes from the first layer that sets it: the decorator's options,",
    "`options.config` (or `configName`), the instance's `retryConfig`, `configureResilience({ defaults })`,",
    'the environment, then the defaults below.',
    '',
    '## `RetryConfig`',
    '',
    table(
      ['field', 'default', 'rule', 'environment variable'],
      topLevel.map((option) => [code(option.name), option.defaultText, option.rule, option.env ?? '']),
    ),
    '',
    '## `circuitBreaker`',
    '',
    'Per key. Off unless `circuitBreaker` is set (`ResilientLLMService` turns it on for its calls unless the',
    "agent's config, `configureResilience` defaults or the environment set it). 400s, 401s and 429s neither",
    'count nor reset the count. The first options registered for a key stay in force.',
    '',
    nested(circuitBreaker),
    '',
    '## `retryBudget`',
    '',
    `Per key, on by default: a token bucket in the manner of the AWS SDKs' standard retry mode, ${code(inlineObject({ ...RETRY_BUDGET_DEFAULTS }))}.`,
    'First attempts are never refused; a retry the bucket cannot pay for is not made (the original error is rethrown).',
    '',
    nested(retryBudget),
    '',
    '## `bulkhead`',
    '',
    'Per key, off by default: attempts beyond `maxConcurrency` queue; a call that finds the queue full is',
    'rejected at once with `BulkheadRejectedError`.',
    '',
    nested(bulkhead),
    '',
    '## Other defaults',
    '',
    table(
      ['what', 'default', 'environment variable'],
      [
        [
          'Retry-After spread',
          `up to ${RETRY_AFTER_JITTER_FRACTION * 100}% of the Retry-After value, added so that clients told the same value do not return together`,
          '',
        ],
        ["level of the library's default logger", literal(DEFAULT_LOG_LEVEL), code(LOG_LEVEL_ENV_VAR)],
        ['decorator option `key` (circuit breaker, budget, cooldown, bulkhead)', '`ClassName.method`', ''],
        ['decorator option `name` (logs)', '`ClassName.method`', ''],
        ['`AgentConfig.apiVersion` (Azure OpenAI)', literal(DEFAULT_AZURE_API_VERSION), ''],
        [
          '`AgentConfig.apiKey`',
          'read from the environment when a client is created',
          `${code(API_KEY_ENV_VARS.openai)} (OpenAI), ${code(API_KEY_ENV_VARS.azure_openai)} (Azure OpenAI)`,
        ],
        ['`AgentConfig.retryConfig`', '`new RetryConfig()`', ''],
        ['`AgentConfig.api` (the API `LLMExecutor` calls)', "`'chat'`", ''],
        ['SDK clients made by `LLMServiceFactory`', '`maxRetries: 0`', ''],
        ['`ResilientLLMService` `fallbackOnContentFilter`', '`false`', ''],
        ['`ResilientLLMService` and `LLMExecutor` `resume` (re-attach background Responses streams)', '`false`', ''],
      ],
    ),
    '',
  ].join('\n');
}
