// Every text the Nest integration shows to users, in one place.

const list = (names: readonly string[]): string => (names.length > 0 ? names.join(', ') : 'none');

export const MODULE_NAME = 'ResilienceModule';

export const forRootOptionsNotObject = (received: string) =>
  `${MODULE_NAME}.forRoot: options must be an object, got ${received}`;

export const asyncOptionsNotObject = (received: string) =>
  `${MODULE_NAME}.forRootAsync: options must be an object, got ${received}`;

export const asyncOptionsNeedOneSource = (given: readonly string[]) =>
  `${MODULE_NAME}.forRootAsync: give exactly one of useFactory, useClass or useExisting (got ${list(given)})`;

export const optionsNotObject = (received: string) =>
  `options must be an object (the forRoot() argument, or what the forRootAsync() factory returns), got ${received}`;

export const unknownOption = (key: string, suggestion: string | undefined) =>
  key === 'isGlobal'
    ? 'isGlobal is not an option the factory can return: give it to forRootAsync() itself'
    : `${key} is not a ${MODULE_NAME} option${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;

export const mapNotObject = (field: 'configs' | 'agents') =>
  field === 'configs'
    ? 'configs must be an object of named retry configs, e.g. { "gpt-4o": { maxAttempts: 4 } }'
    : 'agents must be an object of named agent configs, e.g. { support: { provider: "openai", model: "gpt-4o" } }';

export const agentNotObject = (name: string) => `agents.${name} must be an AgentConfig or a plain object`;

export const stateStoreInvalid = () =>
  'stateStore must be a state store, e.g. createRedisStateStore({ client }) from llm-resilience/redis';

export const unknownConfigName = (method: string, name: string, configured: readonly string[]) =>
  `${method} asks for the retry config "${name}" (configName), which is not configured ` +
  `(configured: ${list(configured)}); add it to the configs of ResilienceModule.forRoot() or forRootAsync()`;

export const unknownAgent = (consumer: string, name: string, configured: readonly string[]) =>
  `${consumer} injects the agent "${name}" (@InjectAgentConfig), which is not configured ` +
  `(agents: ${list(configured)}); add it to the agents of ResilienceModule.forRoot() or forRootAsync()`;

export const invalidAgentName = (received: string) =>
  `@InjectAgentConfig: the agent name must be a non-empty string, got ${received}`;

export const severalModules = () =>
  `This app has more than one ${MODULE_NAME} (forRoot or forRootAsync called more than once); the library's ` +
  'settings are process-wide, so the last one to boot wins: import one instance (it is global by default)';

/** A short description of a value that does not fit, never its content. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'a class'}` : typeof value;
}
