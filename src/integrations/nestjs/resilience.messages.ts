// Every text the Nest integration shows to users, in one place. Every rule names the field,
// the rule and the value received (`received(value)`: short, never a whole object).

import { describeReceived } from '../../internal/option-checks';

const list = (names: readonly string[]): string => (names.length > 0 ? names.join(', ') : 'none');

export const MODULE_NAME = 'ResilienceModule';

export const forRootOptionsNotObject = (value: unknown) =>
  `${MODULE_NAME}.forRoot: options must be an object (received ${received(value)})`;

export const asyncOptionsNotObject = (value: unknown) =>
  `${MODULE_NAME}.forRootAsync: options must be an object (received ${received(value)})`;

export const isGlobalNotBoolean = (method: 'forRoot' | 'forRootAsync', value: unknown) =>
  `${MODULE_NAME}.${method}: isGlobal must be true or false (received ${received(value)})`;

export const asyncOptionsNeedOneSource = (given: readonly string[]) =>
  `${MODULE_NAME}.forRootAsync: give exactly one of useFactory, useClass or useExisting (got ${list(given)})`;

export const optionsNotObject = (value: unknown) =>
  'options must be an object (the forRoot() argument, or what the forRootAsync() factory returns; ' +
  `received ${received(value)})`;

/**
 * An unknown top-level option: a retry count gets the maxAttempts hint, a retry setting is
 * sent to `defaults`, anything else gets the nearest option name.
 */
export const unknownOption = (
  key: string,
  value: unknown,
  suggestion: string | undefined,
  retryFields: readonly string[],
) => {
  if (key === 'isGlobal') return 'isGlobal is not an option the factory can return: give it to forRootAsync() itself';
  const retries = retriesHint(key, value, 'defaults: { maxAttempts: N }');
  const help =
    retries ??
    (retryFields.includes(key)
      ? `did you mean defaults: { ${key}: ${shortValue(value)} }? Retry settings go in defaults, or in a named config`
      : suggestion && `did you mean ${suggestion}?`);
  return `${key} is not a ${MODULE_NAME} option${help ? ` (${help})` : ''}`;
};

/** A number, boolean or short string as written in code; `...` for anything else. */
const shortValue = (value: unknown): string =>
  typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 40)
    ? JSON.stringify(value)
    : '...';

/** Names other libraries give the number of retries (p-retry, openai, axios-retry, tenacity...). */
const RETRY_COUNT_NAMES: ReadonlySet<string> = new Set(['maxretries', 'retries', 'retry', 'maxretry', 'retrycount']);

/**
 * `maxRetries 2 = maxAttempts 3`, for a retry count given where `maxAttempts` (which counts
 * the first attempt) is meant; `where` says where maxAttempts goes. `undefined` for other keys.
 */
export function retriesHint(key: string, value: unknown, where: string): string | undefined {
  if (!RETRY_COUNT_NAMES.has(key.toLowerCase())) return undefined;
  const retries = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 2;
  return (
    `did you mean maxAttempts? It counts attempts, the first included: ${key} ${retries} = maxAttempts ${retries + 1}; ` +
    `it goes in ${where.replace('N', String(retries + 1))}`
  );
}

export const mapNotObject = (field: 'configs' | 'agents', value: unknown) =>
  field === 'configs'
    ? `configs must be an object of named retry configs, e.g. { "gpt-4o": { maxAttempts: 4 } } (received ${received(value)})`
    : 'agents must be an object of named agent configs, e.g. { support: { provider: "openai", model: "gpt-4o" } } ' +
      `(received ${received(value)})`;

export const agentNotObject = (name: string, value: unknown) =>
  `agents.${name} must be an AgentConfig or a plain object (received ${received(value)})`;

export const stateStoreInvalid = (value: unknown) =>
  'stateStore must be a state store, e.g. createRedisStateStore({ client }) from llm-resilience/redis ' +
  `(received ${received(value)})`;

export const unknownConfigName = (method: string, name: string, configured: readonly string[]) =>
  `${method} asks for the retry config "${name}" (configName), which is not configured ` +
  `(configured: ${list(configured)}); add it to the configs of ResilienceModule.forRoot() or forRootAsync()`;

export const unknownAgent = (consumer: string, name: string, configured: readonly string[]) =>
  `${consumer} injects the agent "${name}" (@InjectAgentConfig), which is not configured ` +
  `(agents: ${list(configured)}); add it to the agents of ResilienceModule.forRoot() or forRootAsync()`;

export const invalidAgentName = (value: unknown) =>
  `@InjectAgentConfig: the agent name must be a non-empty string (received ${received(value)})`;

export const severalModules = () =>
  `This app has more than one ${MODULE_NAME} (forRoot or forRootAsync called more than once); the library's ` +
  'settings are process-wide, so the last one to boot wins: import one instance (it is global by default)';

/**
 * How a rejected value is quoted: a string quoted and cut at 40 characters (a URL by its
 * scheme only), a number or a boolean as is, an object by its kind (`an object`, `an array`,
 * `an instance of Foo`), never its content.
 */
export const received = describeReceived;
