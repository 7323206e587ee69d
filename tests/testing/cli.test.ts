import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import OpenAI from 'openai';
import * as ts from 'typescript';

import { main, type CliIo, type CliResult } from '../../src/testing/cli';
import { parseCliArgs } from '../../src/testing/cli-args';
import { FAULT_SPEC_FORMS } from '../../src/testing/fault-spec';

const PARAMS = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('parseCliArgs', () => {
  test('the documented example', () => {
    expect(
      parseCliArgs(
        '--port 8080 --script 429,503,ok --fault-rate 0.3 --faults 429,503,reset --seed 7 --rps 50 --burst 10'.split(
          ' ',
        ),
      ),
    ).toEqual({
      kind: 'run',
      quiet: false,
      options: {
        port: 8080,
        script: ['429', '503', 'ok'],
        faultRate: 0.3,
        faults: ['429', '503', 'reset'],
        seed: 7,
        rateLimit: { rps: 50, burst: 10 },
      },
    });
  });

  test.each<[string[], object]>([
    [[], { port: 8080 }],
    [['-p', '0', '-s', ' 429 , ok '], { port: 0, script: ['429', 'ok'] }],
    [['--port=0', '--script=slow:20'], { port: 0, script: ['slow:20'] }],
    [['--rps', '2.5'], { port: 8080, rateLimit: { rps: 2.5, burst: 3 } }],
    [['--rps', '0.5'], { port: 8080, rateLimit: { rps: 0.5, burst: 1 } }],
    [['--fault-rate', '1'], { port: 8080, faultRate: 1 }],
    [['--fault-rate', '.25'], { port: 8080, faultRate: 0.25 }],
    [['--seed=-3'], { port: 8080, seed: -3 }],
    [['--max-body-bytes', '65536'], { port: 8080, maxBodyBytes: 65536 }],
    [['--record-limit=100'], { port: 8080, recordLimit: 100 }],
  ])('%j', (argv, options) => {
    expect(parseCliArgs(argv)).toEqual({ kind: 'run', quiet: false, options });
  });

  test('--help and -h; --quiet', () => {
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--port', 'x', '-h'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-q'])).toMatchObject({ kind: 'run', quiet: true });
  });

  test.each<[string[], RegExp]>([
    [['--prot', '1'], /--prot/],
    [['--port'], /--port/],
    [['--seed', '-3'], /--seed/],
    [['extra'], /extra/],
    [['--port', 'abc'], /--port must be an integer in 0\.\.65535, got "abc"/],
    [['--port', '65536'], /--port/],
    [['--port', '-1'], /--port/],
    [['--script', '429,418'], /"418" in --script\[1\]/],
    [['--script', '429,,ok'], /"" in --script\[1\]/],
    [['--faults', 'boom'], /"boom" in --faults\[0\]/],
    [['--fault-rate', '1.5'], /--fault-rate must be a number in \[0, 1\], got "1.5"/],
    [['--fault-rate', 'often'], /--fault-rate/],
    [['--fault-rate', '-0.1'], /--fault-rate/],
    [['--seed', '1.5'], /--seed/],
    [['--rps', '0'], /--rps must be a number greater than 0/],
    [['--rps', '1e3'], /--rps/],
    [['--rps', '5', '--burst', '0'], /--burst/],
    [['--burst', '5'], /--burst needs --rps/],
    [['--max-body-bytes', '0'], /--max-body-bytes must be a positive integer, got "0"/],
    [['--max-body-bytes', '1.5'], /--max-body-bytes must be a positive integer, got "1.5"/],
    [['--max-body-bytes', '1MB'], /--max-body-bytes/],
    [['--record-limit=-1'], /--record-limit must be a positive integer, got "-1"/],
    [['--record-limit', '99999999999999999999'], /--record-limit/],
  ])('%j is an error naming the flag', (argv, message) => {
    const command = parseCliArgs(argv);
    expect(command.kind).toBe('error');
    expect((command as { message: string }).message).toMatch(message);
  });
});

/** Captures output and signal subscriptions; closes any server a test started. */
function cliIo() {
  const io = { out: [] as string[], err: [] as string[], signals: new EventEmitter() };
  const sinks: CliIo = { out: (line) => io.out.push(line), err: (line) => io.err.push(line), signals: io.signals };
  return { io, sinks };
}

describe('main (in-process)', () => {
  const results: CliResult[] = [];
  afterEach(async () => {
    await Promise.all(results.splice(0).flatMap((result) => (result.server ? [result.server.close()] : [])));
  });
  const run = async (argv: string[], sinks: CliIo) => {
    const result = await main(argv, sinks);
    results.push(result);
    return result;
  };

  test('starts a server that follows --script, prints its URLs and logs each request', async () => {
    const { io, sinks } = cliIo();
    const { exitCode, server } = await run(['--port', '0', '--script', '503,ok'], sinks);
    expect(exitCode).toBe(0);
    expect(server).toBeDefined();
    expect(io.out).toEqual(
      expect.arrayContaining([
        `llm-resilience fault server listening on ${server!.url}`,
        `  OpenAI base URL:       ${server!.url}/v1`,
        `  Azure OpenAI endpoint: ${server!.url}`,
      ]),
    );
    expect(io.out.join('\n')).toContain('script: 503, ok');
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: server!.openaiBaseURL, maxRetries: 0 });
    await expect(client.chat.completions.create(PARAMS)).rejects.toMatchObject({ status: 503 });
    const completion = await client.chat.completions.create(PARAMS);
    expect(completion.choices[0].message.content).toBe('Echo: hi');
    expect(io.out).toEqual(
      expect.arrayContaining(['req_1 POST /v1/chat/completions -> 503', 'req_2 POST /v1/chat/completions -> ok']),
    );
    expect(io.err).toEqual([]);
  });

  test('--quiet logs no requests; random mode and rate limit are described', async () => {
    const { io, sinks } = cliIo();
    const { server } = await run(
      ['-p', '0', '-q', '--fault-rate', '0.3', '--seed', '7', '--rps', '50', '--burst', '10'],
      sinks,
    );
    await fetch(`${server!.openaiBaseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(PARAMS) });
    expect(io.out.join('\n')).toContain('random: 30% of requests from 429, 500, 503, reset, seed 7');
    expect(io.out.join('\n')).toContain('rate limit: 50 rps, burst 10');
    expect(io.out.some((line) => line.startsWith('req_'))).toBe(false);
  });

  test('SIGINT / SIGTERM close the server and drop the handlers', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const { io, sinks } = cliIo();
      const { server } = await run(['--port', '0'], sinks);
      expect(io.signals.listenerCount(signal)).toBe(1);
      io.signals.emit(signal, signal);
      await server!.close(); // the same close the signal started: resolves when it is done
      await expect(fetch(server!.url)).rejects.toThrow();
      expect(io.signals.listenerCount('SIGINT') + io.signals.listenerCount('SIGTERM')).toBe(0);
      expect(io.out).toContain(`${signal} received, closing.`);
    }
  });

  test('--help prints usage with every fault spec and exits 0', async () => {
    const { io, sinks } = cliIo();
    expect(await run(['--help'], sinks)).toEqual({ exitCode: 0 });
    const text = io.out.join('\n');
    expect(text).toMatch(/^Usage: llm-resilience-fault-server/);
    for (const flag of [
      '--port',
      '--script',
      '--fault-rate',
      '--faults',
      '--seed',
      '--rps',
      '--burst',
      '--max-body-bytes',
      '--record-limit',
    ])
      expect(text).toContain(flag);
    for (const form of FAULT_SPEC_FORMS) expect(text).toContain(form);
    for (const endpoint of ['/v1/responses', '/v1/responses/<id>', '/v1/embeddings', '/v1/models', '/openai/responses'])
      expect(text).toContain(endpoint);
  });

  test('--script takes the new specs, and a bad one exits 2 naming it', async () => {
    expect(
      parseCliArgs(['--script', 'response-failed:2:rate_limit_exceeded, stall:1:50,incomplete:content_filter']),
    ).toEqual({
      kind: 'run',
      options: {
        port: 8080,
        script: ['response-failed:2:rate_limit_exceeded', 'stall:1:50', 'incomplete:content_filter'],
      },
      quiet: false,
    });
    const { io, sinks } = cliIo();
    expect(await run(['--faults', 'quota-stream,stall:1'], sinks)).toEqual({ exitCode: 2 });
    expect(io.err[0]).toMatch(/"stall:1" in --faults\[1\]/);
  });

  test('a bad flag exits 2 with a message naming it', async () => {
    const { io, sinks } = cliIo();
    expect(await run(['--port', '0', '--bogus'], sinks)).toEqual({ exitCode: 2 });
    expect(io.err[0]).toMatch(/^llm-resilience-fault-server: .*--bogus/);
    expect(io.err).toContain('Run with --help for usage.');
    expect(io.signals.listenerCount('SIGINT')).toBe(0);
  });

  test('a port in use exits 1', async () => {
    const first = cliIo();
    const { server } = await run(['--port', '0', '-q'], first.sinks);
    const { io, sinks } = cliIo();
    expect(await run(['--port', String(server!.port)], sinks)).toEqual({ exitCode: 1 });
    expect(io.err[0]).toMatch(/could not start: .*EADDRINUSE/);
  });
});

describe('as a process', () => {
  // Transpile src/testing to plain JS once (it imports only node: modules and itself), so
  // the real entry point runs: shebang, `require.main === module`, real signals, exit codes.
  let dir: string;
  let cli: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-server-cli-'));
    const source = path.resolve(__dirname, '../../src/testing');
    for (const file of fs.readdirSync(source).filter((name) => name.endsWith('.ts'))) {
      const { outputText } = ts.transpileModule(fs.readFileSync(path.join(source, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), outputText);
    }
    cli = path.join(dir, 'cli.js');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function spawnCli(args: string[]) {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { out: '', err: '' };
    child.stdout.on('data', (chunk) => (output.out += chunk));
    child.stderr.on('data', (chunk) => (output.err += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output, exited };
  }

  test('the compiled file starts with the shebang', () => {
    expect(fs.readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  test('serves until SIGINT, then exits 0', async () => {
    const { child, output, exited } = spawnCli(['--port', '0', '--script', '503']);
    while (!output.out.includes('Press Ctrl+C')) {
      if (child.exitCode !== null) throw new Error(`exited early: ${output.err}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const baseURL = /OpenAI base URL: +(\S+)/.exec(output.out)![1];
    const response = await fetch(`${baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(PARAMS) });
    expect(response.status).toBe(503);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output.out).toContain('SIGINT received, closing.');
  }, 10_000);

  test('a bad flag exits 2', async () => {
    const { output, exited } = spawnCli(['--fault-rate', '7']);
    expect(await exited).toBe(2);
    expect(output.err).toContain('--fault-rate');
  }, 10_000);
});
