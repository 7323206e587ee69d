import winston from 'winston';
import { MemoryTransport } from './memory-transport';

/** A real winston logger writing into memory at every level, for asserting log lines. */
export function createTestLogger(): { logger: winston.Logger; transport: MemoryTransport; at(level: string): any[] } {
  const transport = new MemoryTransport();
  const logger = winston.createLogger({ level: 'silly', format: winston.format.json(), transports: [transport] });
  return { logger, transport, at: (level: string) => transport.entries.filter((entry) => entry.level === level) };
}
