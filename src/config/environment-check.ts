import { closestName } from '../internal/option-checks';
import type { ResilienceLogger } from '../observability/default-logger';
import { LOG_LEVEL_ENV_VAR, NPM_LEVELS } from '../observability/default-logger';
import { RETRY_ENV_VARS } from './defaults';

const PREFIX = 'LLM_RETRY_';
const KNOWN: readonly string[] = Object.values(RETRY_ENV_VARS);

/** Variables already warned about (once per process, whatever the resets). */
const warned = new Set<string>();
/** The environment is looked at once per process. */
let looked = false;

/**
 * Warns once per variable about what the environment holds but the library will not use:
 * an `LLM_RETRY_*` variable of no field (a typo: it would be silently ignored), and an
 * `LLM_RESILIENCE_LOG_LEVEL` that is not a level (the default `warn` is used); each warning
 * names the nearest valid name or value. Looks once per process; never throws.
 */
export function warnAboutEnvironment(env: NodeJS.ProcessEnv, logger: ResilienceLogger): void {
  if (looked) return;
  looked = true;
  try {
    for (const name of Object.keys(env)) {
      if (!name.startsWith(PREFIX) || KNOWN.includes(name) || warned.has(name)) continue;
      warned.add(name);
      const nearest = closestName(name, KNOWN);
      logger.warn(
        `llm-resilience: the environment variable ${name} is not one of the library's and is ignored` +
          (nearest ? ` (did you mean ${nearest}?)` : `; the variables are ${KNOWN.join(', ')}`),
        { variable: name, nearest },
      );
    }
    const level = env[LOG_LEVEL_ENV_VAR]?.trim();
    if (level && !NPM_LEVELS.includes(level.toLowerCase()) && !warned.has(LOG_LEVEL_ENV_VAR)) {
      warned.add(LOG_LEVEL_ENV_VAR);
      // `warning`, `errors`, `information`: a level the value starts with, else the nearest by spelling.
      const lower = level.toLowerCase();
      const nearest = NPM_LEVELS.find((name) => lower.startsWith(name)) ?? closestName(lower, NPM_LEVELS);
      logger.warn(
        `llm-resilience: ${LOG_LEVEL_ENV_VAR}=${JSON.stringify(level.slice(0, 20))} is not a log level and is ignored (the default warn is used)` +
          (nearest ? `; did you mean ${nearest}?` : `; the levels are ${NPM_LEVELS.join(', ')}`),
        { variable: LOG_LEVEL_ENV_VAR, nearest },
      );
    }
  } catch {
    // A warning about the environment must never break a call.
  }
}
