/**
 * The logger llm-resilience uses when the application does not pass its own.
 *
 * A library must not touch winston's default logger or global configuration (that belongs to
 * the application), so this builds a private logger. It writes every level to stderr so that
 * the application's stdout (often a data stream or a CLI's output) stays clean.
 */
import winston from 'winston';
import { redactSecrets } from './redact-secrets';

/** Level of the library's own default winston logger, overridable by this variable. */
export const LOG_LEVEL_ENV_VAR = 'LLM_RESILIENCE_LOG_LEVEL';
export const DEFAULT_LOG_LEVEL = 'warn';

export const LIBRARY_NAME = 'llm-resilience';

/**
 * What the library needs from a logger. winston loggers satisfy it, and so does anything with
 * these four methods (console-like adapters, Nest's `Logger` behind a thin wrapper).
 *
 * @example
 * ```ts
 * const logger: ResilienceLogger = winston.createLogger({ level: 'warn', transports: [new winston.transports.Console()] });
 * configureResilience({ logger });
 * // or any object with the four methods:
 * configureResilience({ logger: { error: console.error, warn: console.warn, info: console.info, debug: () => {} } });
 * ```
 */
export interface ResilienceLogger {
  /** Giving up on a call (attempts or time ran out). */
  error(message: string, meta?: Record<string, unknown>): unknown;
  /** A retry, an open circuit, an exhausted budget, a misconfiguration. */
  warn(message: string, meta?: Record<string, unknown>): unknown;
  /** A circuit half-open or closed again. */
  info(message: string, meta?: Record<string, unknown>): unknown;
  /** A failure not retried (the caller gets it), a success after retries. */
  debug(message: string, meta?: Record<string, unknown>): unknown;
  /** Lets callers skip building expensive metadata for entries that would be dropped. */
  isLevelEnabled?(level: string): boolean;
}

export const NPM_LEVELS: readonly string[] = Object.keys(winston.config.npm.levels);

/** The configured level, or the default when the variable is unset or not an npm level name. */
export function resolveLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  const requested = env[LOG_LEVEL_ENV_VAR]?.trim().toLowerCase();
  return requested && NPM_LEVELS.includes(requested) ? requested : DEFAULT_LOG_LEVEL;
}

/** Fields printed in the line's prefix (or internal to winston), so not repeated as metadata. */
const PREFIX_FIELDS: ReadonlySet<string> = new Set(['level', 'message', 'timestamp', 'library', 'stack']);

/**
 * JSON.stringify throws on bigint, and a log line must never throw. Stack traces of nested
 * errors are dropped: they would turn the one-line entry into a wall of escaped frames.
 */
function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  const holder = this as { message?: unknown } | null;
  if (key === 'stack' && typeof holder === 'object' && holder !== null && typeof holder.message === 'string') {
    return undefined;
  }
  return value;
}

function formatMeta(info: winston.Logform.TransformableInfo): string {
  const meta: Record<string, unknown> = {};
  for (const key of Object.keys(info)) {
    if (!PREFIX_FIELDS.has(key) && info[key] !== undefined) meta[key] = info[key];
  }
  if (Object.keys(meta).length === 0) return '';
  try {
    return ` ${JSON.stringify(meta, jsonReplacer)}`;
  } catch {
    return ' [unserializable metadata]';
  }
}

/**
 * One readable line per event, e.g.
 * `2026-11-22T10:00:00.000Z warn [llm-resilience] Retrying X in 1.20s (...) {"attempt":1}`.
 * Stack traces are left out to keep one line per event; the error's message is in the text.
 */
const lineFormat = winston.format.printf((info) => {
  const library = typeof info.library === 'string' ? info.library : LIBRARY_NAME;
  const message = typeof info.message === 'string' ? info.message : JSON.stringify(info.message, jsonReplacer);
  return `${String(info.timestamp)} ${info.level} [${library}] ${message}${formatMeta(info)}`;
});

/**
 * Builds a new, private winston logger: level from `LLM_RESILIENCE_LOG_LEVEL` (default `warn`),
 * secrets and prompts redacted before anything is formatted, every level written to stderr.
 */
export function createDefaultLogger(env: NodeJS.ProcessEnv = process.env): winston.Logger {
  return winston.createLogger({
    level: resolveLogLevel(env),
    levels: winston.config.npm.levels,
    // Redaction runs first so that no later format (or transport) sees raw values.
    format: winston.format.combine(redactSecrets(), winston.format.timestamp(), lineFormat),
    defaultMeta: { library: LIBRARY_NAME },
    transports: [new winston.transports.Console({ stderrLevels: [...NPM_LEVELS] })],
  });
}
