/**
 * A winston transport that keeps every entry in memory, so tests can assert on exactly what a
 * logger would have written (the final `info` objects and their formatted lines).
 */
import { inspect } from 'node:util';
import TransportStream from 'winston-transport';
import winston from 'winston';

type Info = winston.Logform.TransformableInfo;

const MESSAGE = Symbol.for('message');

export class MemoryTransport extends TransportStream {
  readonly entries: Info[] = [];

  override log(info: Info, next: () => void): void {
    this.entries.push(info);
    next();
  }

  /** The formatted lines (`info[Symbol.for('message')]`), as a console transport would print them. */
  lines(): string[] {
    return this.entries.map((info) => String(info[MESSAGE]));
  }

  /**
   * Everything an entry carries, symbol-keyed fields and non-enumerable error fields included,
   * as one string: a secret absent from this string was not handed to the transport.
   */
  dump(): string {
    return this.entries
      .map((info) => inspect(info, { depth: Infinity, showHidden: true, breakLength: Infinity }))
      .join('\n');
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** Lets winston's stream pipeline deliver pending entries before the test reads them. */
export function flushLogs(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A logger with only `format` and a memory transport, for testing formats end to end. */
export function createMemoryLogger(
  format: winston.Logform.Format,
  level = 'silly',
): { logger: winston.Logger; transport: MemoryTransport } {
  const transport = new MemoryTransport();
  const logger = winston.createLogger({ level, format, transports: [transport] });
  return { logger, transport };
}
