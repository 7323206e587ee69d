import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import winston from 'winston';
import { DEFAULT_LOG_LEVEL, LOG_LEVEL_ENV_VAR } from '../../src/config/defaults';
import {
  LIBRARY_NAME,
  ResilienceLogger,
  createDefaultLogger,
  resolveLogLevel,
} from '../../src/observability/default-logger';
import { REDACTED } from '../../src/observability/redact-secrets';
import { flushLogs } from '../support/memory-transport';

const MESSAGE = Symbol.for('message');

/** winston's own default logger, reachable only through these module-level accessors. */
const winstonDefault = winston as unknown as { default: { transports: unknown[] }; level: string };

interface CapturedOutput {
  stdout: () => string;
  stderr: () => string;
  restore: () => void;
}

/**
 * Replaces the global console with one writing to in-memory streams. winston's Console
 * transport writes through `console._stdout` / `console._stderr` at log time, so this shows
 * which stream an entry really goes to (jest's own console has no such streams).
 */
function captureConsole(): CapturedOutput {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const original = global.console;
  global.console = new Console({ stdout, stderr });
  return {
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    restore: () => {
      global.console = original;
    },
  };
}

describe('resolveLogLevel', () => {
  it.each([
    [undefined, 'warn'],
    ['', 'warn'],
    ['debug', 'debug'],
    [' INFO ', 'info'],
    ['silly', 'silly'],
    ['error', 'error'],
    ['loud', 'warn'],
    ['warning', 'warn'], // a syslog name, not an npm level
  ])('%p -> %p', (value, expected) => {
    expect(resolveLogLevel(value === undefined ? {} : { [LOG_LEVEL_ENV_VAR]: value })).toBe(expected);
  });

  it('uses the shared defaults', () => {
    expect(LOG_LEVEL_ENV_VAR).toBe('LLM_RESILIENCE_LOG_LEVEL');
    expect(resolveLogLevel({})).toBe(DEFAULT_LOG_LEVEL);
  });
});

describe('createDefaultLogger', () => {
  let console_: CapturedOutput | undefined;
  afterEach(() => {
    console_?.restore();
    console_ = undefined;
  });

  it('takes its level from the environment, falling back to warn', () => {
    expect(createDefaultLogger({}).level).toBe('warn');
    expect(createDefaultLogger({ LLM_RESILIENCE_LOG_LEVEL: 'debug' }).level).toBe('debug');
    expect(createDefaultLogger({ LLM_RESILIENCE_LOG_LEVEL: 'chatty' }).level).toBe('warn');
  });

  it('reads process.env by default', () => {
    const previous = process.env[LOG_LEVEL_ENV_VAR];
    process.env[LOG_LEVEL_ENV_VAR] = 'info';
    try {
      expect(createDefaultLogger().level).toBe('info');
    } finally {
      if (previous === undefined) delete process.env[LOG_LEVEL_ENV_VAR];
      else process.env[LOG_LEVEL_ENV_VAR] = previous;
    }
  });

  it('is a new private logger that leaves winston’s default logger alone', () => {
    const defaultTransportsBefore = [...winstonDefault.default.transports];
    const defaultLevelBefore = winstonDefault.level;

    const first = createDefaultLogger({ LLM_RESILIENCE_LOG_LEVEL: 'debug' });
    const second = createDefaultLogger({});

    expect(first).not.toBe(second);
    expect(first.transports).not.toBe(winstonDefault.default.transports);
    expect(winstonDefault.default.transports).toEqual(defaultTransportsBefore);
    expect(winstonDefault.level).toBe(defaultLevelBefore);
  });

  it('routes every npm level to stderr', () => {
    const [transport] = createDefaultLogger({}).transports;
    expect(transport).toBeInstanceOf(winston.transports.Console);
    const stderrLevels = (transport as unknown as { stderrLevels: Record<string, boolean> }).stderrLevels;
    expect(Object.keys(stderrLevels).sort()).toEqual(Object.keys(winston.config.npm.levels).sort());
  });

  it('writes one readable, redacted line to stderr and nothing to stdout', async () => {
    console_ = captureConsole();
    const logger = createDefaultLogger({ LLM_RESILIENCE_LOG_LEVEL: 'silly' });
    const message = 'Retrying ChatAgent.complete in 1.20s (attempt 1/3 failed: rate_limit 429, request req_abc)';

    logger.warn(message, { attempt: 1, delayMs: 1200, headers: { 'api-key': 'azure-header-value-1' } });
    logger.info('info line');
    logger.debug('debug line', { prompt: 'very private prompt' });
    logger.error('error line sk-proj-abc123DEF456ghi789JKL012mno345');
    await flushLogs();

    expect(console_.stdout()).toBe('');
    const lines = console_.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z warn \[llm-resilience\] Retrying ChatAgent\.complete in 1\.20s \(attempt 1\/3 failed: rate_limit 429, request req_abc\) /,
    );
    expect(lines[0].endsWith(`{"attempt":1,"delayMs":1200,"headers":{"api-key":"${REDACTED}"}}`)).toBe(true);
    expect(lines[1]).toMatch(/ info \[llm-resilience\] info line$/);
    expect(lines[2]).toMatch(/ debug \[llm-resilience\] debug line \{"prompt":"\[REDACTED PROMPT\]"\}$/);
    expect(lines[3]).toMatch(/ error \[llm-resilience\] error line \[REDACTED\]$/);
    const output = console_.stderr();
    expect(output).not.toContain('azure-header-value-1');
    expect(output).not.toContain('very private prompt');
    expect(output).not.toContain('abc123DEF456');
  });

  it('drops entries below its level', async () => {
    console_ = captureConsole();
    const logger = createDefaultLogger({});
    logger.info('not shown');
    logger.debug('not shown either');
    logger.warn('shown');
    await flushLogs();
    expect(console_.stderr()).not.toContain('not shown');
    expect(console_.stderr()).toContain('shown');
    expect(logger.isLevelEnabled('debug')).toBe(false);
    expect(logger.isLevelEnabled('error')).toBe(true);
  });

  it('tags entries with the library name', async () => {
    const logger = createDefaultLogger({});
    const seen: winston.Logform.TransformableInfo[] = [];
    logger.on('data', (info: winston.Logform.TransformableInfo) => seen.push(info));
    console_ = captureConsole();
    logger.warn('tagged', { errorInfo: new Error('boom') });
    await flushLogs();
    expect(seen[0]).toMatchObject({ library: LIBRARY_NAME, message: 'tagged' });
    expect(String(seen[0][MESSAGE])).toContain('"errorInfo":{"name":"Error","message":"boom"}');
  });
});

describe('ResilienceLogger', () => {
  it('is satisfied by winston loggers and by plain objects', () => {
    // Compile-time checks: these assignments are what the type is for.
    const fromWinston: ResilienceLogger = createDefaultLogger({});
    const plain: ResilienceLogger = {
      error: () => undefined,
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
    };
    expect(typeof fromWinston.isLevelEnabled).toBe('function');
    expect(plain.isLevelEnabled).toBeUndefined();
  });
});
