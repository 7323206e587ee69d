#!/usr/bin/env node
import type { EventEmitter } from 'node:events';

import { parseCliArgs, USAGE } from './cli-args';
import { startFaultServer, type FaultServer, type FaultServerOptions } from './fault-server';
import { DEFAULT_RANDOM_FAULTS } from './fault-spec';

/**
 * `llm-resilience-fault-server`: runs the fault server from the command line.
 *
 * `main` is exported so tests can run it in-process (port 0, their own output sinks and
 * signal source) and close the server it returns; the file only runs itself when it is
 * the entry point.
 */

export interface CliIo {
  /** Standard output, one line per call. */
  out(line: string): void;
  /** Standard error, one line per call. */
  err(line: string): void;
  /** Where SIGINT / SIGTERM come from (default `process`); tests pass their own emitter. */
  signals: Pick<EventEmitter, 'once' | 'removeListener'>;
}

export interface CliResult {
  /** 0 on success (and while the server runs), 1 when it could not start, 2 on bad flags. */
  exitCode: number;
  /** The running server, when one was started; closing it also drops the signal handlers. */
  server?: FaultServer;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export async function main(
  argv: readonly string[] = process.argv.slice(2),
  io: Partial<CliIo> = {},
): Promise<CliResult> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const signals = io.signals ?? process;

  const command = parseCliArgs(argv);
  if (command.kind === 'help') {
    out(USAGE.trimEnd());
    return { exitCode: 0 };
  }
  if (command.kind === 'error') {
    err(`llm-resilience-fault-server: ${command.message}`);
    err('Run with --help for usage.');
    return { exitCode: 2 };
  }

  const options: FaultServerOptions = { ...command.options };
  if (!command.quiet) {
    options.onRequest = (request) => out(`${request.requestId} ${request.method} ${request.path} -> ${request.fault}`);
  }
  let started: FaultServer;
  try {
    started = await startFaultServer(options);
  } catch (error) {
    err(`llm-resilience-fault-server: could not start: ${(error as Error)?.message ?? String(error)}`);
    return { exitCode: 1 };
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    out(`${signal} received, closing.`);
    void server.close();
  };
  const server: FaultServer = {
    ...started,
    requests: started.requests,
    setScript: (faults) => started.setScript(faults),
    close: () => {
      for (const signal of SIGNALS) signals.removeListener(signal, onSignal);
      return started.close();
    },
  };
  for (const signal of SIGNALS) signals.once(signal, onSignal);

  out(`llm-resilience fault server listening on ${server.url}`);
  out(`  OpenAI base URL:       ${server.openaiBaseURL}`);
  out(`  Azure OpenAI endpoint: ${server.azureEndpoint}`);
  out(`  ${describeFaults(command.options)}`);
  out('Press Ctrl+C to stop.');
  return { exitCode: 0, server };
}

function describeFaults(options: FaultServerOptions): string {
  const parts = [
    `script: ${options.script?.length ? options.script.join(', ') : '(none)'}`,
    options.faultRate
      ? `random: ${options.faultRate * 100}% of requests from ${(options.faults ?? DEFAULT_RANDOM_FAULTS).join(', ')}, seed ${options.seed ?? 1}`
      : 'random: off',
    options.rateLimit
      ? `rate limit: ${options.rateLimit.rps} rps, burst ${options.rateLimit.burst}`
      : 'rate limit: off',
  ];
  return parts.join(' | ');
}

if (require.main === module) {
  main().then(
    ({ exitCode, server }) => {
      // A running server keeps the process alive until a signal closes it.
      if (!server) process.exitCode = exitCode;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
