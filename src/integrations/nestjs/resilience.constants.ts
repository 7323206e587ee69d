/** The context of every line the library writes through Nest's `Logger`. */
export const RESILIENCE_LOGGER_CONTEXT = 'LLMResilience';

/** @internal The provider that validates the options and applies them to the library at boot. */
export const RESILIENCE_RUNTIME = 'LLM_RESILIENCE_RUNTIME';

/** @internal Agent config tokens are this prefix followed by the agent's name. */
export const AGENT_CONFIG_TOKEN_PREFIX = 'LLM_RESILIENCE_AGENT_CONFIG:';

/** The fields of `ResilienceModuleOptions`; anything else is reported at boot. */
export const RESILIENCE_OPTION_KEYS: readonly string[] = [
  'defaults',
  'configs',
  'logger',
  'tracer',
  'agents',
  'stateStore',
];

/** @internal The context of the lines `ResilienceExceptionFilter` writes through Nest's `Logger`. */
export const RESILIENCE_EXCEPTION_FILTER_CONTEXT = 'ResilienceExceptionFilter';
