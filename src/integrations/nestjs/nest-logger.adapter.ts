import { Logger } from '@nestjs/common';
import type { ResilienceLogger } from '../../observability/default-logger';
import { RESILIENCE_LOGGER_CONTEXT } from './resilience.constants';

/**
 * The library's logger when `ResilienceModule` is given none: every line goes through Nest's
 * `Logger` (and so to whatever logger the app uses) under the context `LLMResilience`:
 * error → error, warn → warn, info → log, debug → debug, with the metadata appended as JSON.
 *
 * @example
 * ```ts
 * configureResilience({ logger: new NestLoggerAdapter('MyAgents') }); // outside ResilienceModule
 * ```
 */
export class NestLoggerAdapter implements ResilienceLogger {
  private readonly logger: Logger;

  constructor(context: string = RESILIENCE_LOGGER_CONTEXT) {
    this.logger = new Logger(context);
  }

  error(message: string, meta?: Record<string, unknown>): void {
    this.logger.error(withMeta(message, meta));
  }

  warn(message: string, meta?: Record<string, unknown>): void {
    this.logger.warn(withMeta(message, meta));
  }

  info(message: string, meta?: Record<string, unknown>): void {
    this.logger.log(withMeta(message, meta));
  }

  debug(message: string, meta?: Record<string, unknown>): void {
    this.logger.debug(withMeta(message, meta));
  }
}

function withMeta(message: string, meta: Record<string, unknown> | undefined): string {
  if (meta === undefined || meta === null || Object.keys(meta).length === 0) return message;
  try {
    const json = JSON.stringify(meta, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    return json === '{}' ? message : `${message} ${json}`;
  } catch {
    // A log line must never throw (a cycle in the metadata, say).
    return `${message} [unserializable metadata]`;
  }
}
