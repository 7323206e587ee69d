import 'reflect-metadata';
import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import OpenAI from 'openai';
import { configureResilience, resetResilience } from '../../src';
import { FaultServer, FaultSpec, startFaultServer } from '../../src/testing';

// Shared set-up of the NestJS e2e tests: real testing modules, real HTTP (app.listen(0) +
// fetch), the fault server as the LLM. Everything opened is closed by `cleanUp()`.

export interface LogEntry {
  level: string;
  message: string;
  context?: string;
}

/** A Nest `LoggerService` that keeps every line (and its context) in memory. */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];
  log(message: unknown, ...params: unknown[]): void {
    this.add('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.add('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.add('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.add('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.add('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.add('fatal', message, params);
  }
  /** Entries of one level, optionally of one context. */
  at(level: string, context?: string): LogEntry[] {
    return this.entries.filter(
      (entry) => entry.level === level && (context === undefined || entry.context === context),
    );
  }
  private add(level: string, message: unknown, params: unknown[]): void {
    // Nest passes the context last (error: after an optional stack).
    const last = params[params.length - 1];
    this.entries.push({ level, message: String(message), context: typeof last === 'string' ? last : undefined });
  }
}

const cleanUps: Array<() => Promise<void> | void> = [];

/** Closes every app and server opened by the current test, then resets the library. */
export async function cleanUp(): Promise<void> {
  while (cleanUps.length > 0) await cleanUps.pop()!();
  resetResilience();
}

/**
 * Resets the library and makes every backoff 0 ms (full jitter with random 0), so retries
 * are immediate on real timers. The module never sets `random`, so this survives its boot.
 */
export function immediateRetries(): void {
  resetResilience();
  configureResilience({ random: () => 0 });
}

export async function faultServer(script: FaultSpec[] = []): Promise<FaultServer> {
  const server = await startFaultServer({ script });
  cleanUps.push(() => server.close());
  return server;
}

/** An `openai` client for the fault server, with the SDK's own retries off. */
export function openaiFor(server: FaultServer): OpenAI {
  return new OpenAI({ apiKey: 'sk-test-key', baseURL: server.openaiBaseURL, maxRetries: 0 });
}

/** Compiles a testing module (Nest's own logs captured, not printed); closed after the test. */
export async function compile(
  metadata: ModuleMetadata,
  logger: LoggerService = new CapturingLogger(),
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
  cleanUps.push(() => moduleRef.close());
  return moduleRef;
}

/**
 * Boots an HTTP app on a free port; `logger` is the app's logger (Nest's `Logger` writes to it).
 * `configure` runs before the app listens (e.g. `app.useGlobalFilters(...)`).
 */
export async function startApp(
  metadata: ModuleMetadata,
  logger: CapturingLogger = new CapturingLogger(),
  configure?: (app: INestApplication) => void,
): Promise<{ app: INestApplication; url: string; logger: CapturingLogger }> {
  const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
  const app = moduleRef.createNestApplication({ logger });
  cleanUps.push(() => app.close());
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), logger };
}

/** POSTs JSON and returns the status and the parsed body. */
export async function post(url: string, body: unknown = {}): Promise<{ status: number; body: any; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, text };
}

/** The chat-completion requests the fault server received. */
export const llmRequests = (server: FaultServer) =>
  server.requests.filter((request) => request.path.endsWith('/chat/completions'));
