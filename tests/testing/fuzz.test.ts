/**
 * A seeded fuzz of the fault server (issue #12, item 18): hundreds of random requests
 * (methods, targets, headers, bodies, framings, early disconnects) over raw sockets.
 * Every one must get an HTTP answer or a clean close, and afterwards the server must
 * still answer a normal chat completion.
 *
 * The server runs as the real CLI in a child process whose `uncaughtException` and
 * `unhandledRejection` listeners report to stderr: inside jest, listeners installed on
 * `process` belong to the test sandbox and never fire, while a child reports every one,
 * and its listeners keep it alive so the test sees all of them, not just the first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import * as ts from 'typescript';

import { mulberry32 } from '../../src/testing/mulberry32';

const SEED = 20_240_518;
const REQUESTS = 400;
const MAX_BODY_BYTES = 16 * 1024;
const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

let dir: string;
let child: ChildProcess;
const output = { out: '', err: '' };
let exited: Promise<number | null>;
let port: number;

beforeAll(async () => {
  // src/testing transpiled to plain JS (it imports only node: modules and itself), and a
  // host that installs the crash listeners, then runs the CLI's main.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-server-fuzz-'));
  const source = path.resolve(__dirname, '../../src/testing');
  for (const file of fs.readdirSync(source).filter((name) => name.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(source, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), outputText);
  }
  fs.writeFileSync(
    path.join(dir, 'fuzz-host.js'),
    [
      "for (const event of ['uncaughtException', 'unhandledRejection']) {",
      "  process.on(event, (error) => process.stderr.write('CRASH ' + event + ': ' + (error && error.stack || String(error)) + '\\n'));",
      '}',
      "require('./cli.js').main(process.argv.slice(2)).then(({ exitCode, server }) => { if (!server) process.exitCode = exitCode; });",
    ].join('\n'),
  );
  child = spawn(
    process.execPath,
    [path.join(dir, 'fuzz-host.js'), '--port', '0', '--quiet', '--max-body-bytes', String(MAX_BODY_BYTES)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk) => (output.out += chunk));
  child.stderr!.on('data', (chunk) => (output.err += chunk));
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  port = await new Promise<number>((resolve, reject) => {
    const onData = (): void => {
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output.out);
      if (match) {
        child.stdout!.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', () => reject(new Error(`the fault server exited before listening: ${output.err}`)));
  });
}, 20_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One fuzzed exchange: what to write, and whether the client hangs up after writing it. */
interface FuzzCase {
  label: string;
  parts: Buffer[];
  disconnect: boolean;
}

interface Outcome {
  statuses: number[];
  error?: string;
  /** Neither an answer nor a close came (the server lost the request, e.g. a crashed handler). */
  hung: boolean;
}

/** Not a timing assertion: only what counts as "never answered" (answers take milliseconds). */
const HANG_MS = 5_000;

function exchange(fuzz: FuzzCase): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    let hung = false;
    const guard = setTimeout(() => {
      hung = true;
      socket.destroy();
    }, HANG_MS);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => {
      clearTimeout(guard);
      const text = Buffer.concat(received).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ statuses, error, hung });
    });
    socket.on('connect', () => {
      // One write: a server that answers early and closes must not turn the client's next
      // write into an EPIPE that discards the answer before it is read.
      socket.write(Buffer.concat(fuzz.parts), fuzz.disconnect ? () => socket.destroy() : undefined);
    });
  });
}

/** A seeded generator of requests no well-behaved client would send (and some it would). */
function fuzzCases(seed: number, count: number): FuzzCase[] {
  const random = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
  const chance = (p: number) => random() < p;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(0, 255)));
  const token = (length: number) =>
    Array.from({ length }, () => pick([..."abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%/?"])).join('');

  const methods = [
    'POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL',
    'PURGE', 'SEARCH', 'M-SEARCH', 'REPORT', 'LINK', 'CONNECT', 'BREW', 'post', 'G E T', '',
  ]; // prettier-ignore
  const targets = (): string =>
    pick([
      '/v1/chat/completions',
      '/v1/chat/completions/',
      '/openai/v1/chat/completions',
      '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
      '/openai/deployments/%zz/chat/completions',
      '//:99999/',
      '//',
      '/%zz',
      '/%',
      '/v1/chat/completions?%zz=%zz&&=&a',
      '*',
      'http://example.com/v1/chat/completions',
      'http://x:99999/',
      'https://[::1/',
      '/../../etc/passwd',
      '/v1/./chat/../chat/completions',
      '/\u00e9t\u00e9',
      '/a b',
      'abc',
      '',
      `/${token(int(1, 60))}`,
      `/${'a'.repeat(int(1_000, 20_000))}`,
    ]);
  const oddHeaders = [
    'Content-Type: application/json',
    'Authorization: Bearer sk-fuzz',
    'api-key: fuzz',
    `X-Random: ${token(int(0, 40))}`,
    'X-Bad: a\x01b',
    'X-Del: \x7f',
    'Bad Name: value',
    'NoColon',
    ': empty-name',
    `X-Long: ${'v'.repeat(int(100, 20_000))}`,
    'Expect: 100-continue',
    'Expect: something-else',
    'Connection: Upgrade\r\nUpgrade: websocket',
    'Content-Length: abc',
    'Content-Length: -1',
    'Transfer-Encoding: gzip',
    'X-Utf8: \u00e9\u00e8',
  ];
  const jsonBodies = (): string =>
    pick([
      CHAT,
      JSON.stringify({
        model: 'm',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'a b c' }],
      }),
      JSON.stringify({
        messages: [{ role: 'user', content: [null, 1, { type: 'text' }, { type: 'text', text: 'x' }] }],
        response_format: {
          type: 'json_schema',
          json_schema: { schema: { type: 'object', properties: { a: { anyOf: [] } } } },
        },
      }),
      JSON.stringify({ messages: 'x', response_format: null, stream_options: null, model: 42 }),
      JSON.stringify({ messages: [null, 5, 'x', { role: 'user', content: { nested: true } }] }),
      '{"messages": [',
      'null',
      '[]',
      '42',
      '"a string"',
      `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
      `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`,
      '{"__proto__": {"polluted": true}, "messages": []}',
    ]);

  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const method = pick(methods);
    const target = targets();
    const headers: string[] = [];
    if (!chance(0.05)) headers.push('Host: 127.0.0.1');
    headers.push('Connection: close');
    for (let n = int(0, 3); n > 0; n--) headers.push(pick(oddHeaders));

    const bodyKind = pick(['none', 'json', 'json', 'binary', 'too-large', 'chunked', 'bad-chunked', 'disconnect']);
    const body =
      bodyKind === 'none'
        ? Buffer.alloc(0)
        : bodyKind === 'too-large'
          ? bytes(int(MAX_BODY_BYTES + 1, MAX_BODY_BYTES * 3))
          : bodyKind === 'binary'
            ? bytes(int(1, 4_096))
            : Buffer.from(jsonBodies());
    const parts: Buffer[] = [];
    const headText = (extra: string[]) =>
      Buffer.from(`${method} ${target} HTTP/1.1\r\n${[...headers, ...extra].join('\r\n')}\r\n\r\n`, 'latin1');
    if (bodyKind === 'chunked' || bodyKind === 'bad-chunked') {
      parts.push(headText(['Transfer-Encoding: chunked']));
      let offset = 0;
      while (offset < body.length) {
        const size = Math.min(int(1, 2_048), body.length - offset);
        parts.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(offset, offset + size), Buffer.from('\r\n'));
        offset += size;
      }
      parts.push(Buffer.from(bodyKind === 'bad-chunked' ? 'zz\r\n\r\n' : '0\r\n\r\n'));
    } else if (bodyKind === 'disconnect') {
      // Announces the whole body, sends part of it, hangs up.
      parts.push(headText([`Content-Length: ${body.length + 10}`]), body.subarray(0, int(0, body.length)));
    } else {
      parts.push(headText(bodyKind === 'none' && chance(0.5) ? [] : [`Content-Length: ${body.length}`]), body);
    }
    const label = `#${i} ${bodyKind} ${JSON.stringify(`${method} ${target}`.slice(0, 80))} ${JSON.stringify(headers.slice(2)).slice(0, 120)}`;
    cases.push({ label, parts, disconnect: bodyKind === 'disconnect' });
  }
  return cases;
}

test(`${REQUESTS} seeded random requests: each gets an answer or a clean close; no crash; a chat completion works after`, async () => {
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  for (const fuzz of fuzzCases(SEED, REQUESTS)) {
    const outcome = await exchange(fuzz);
    if (outcome.hung) {
      failures.push(`${fuzz.label}: no answer and no close in ${HANG_MS} ms`);
      break; // the next ones would hang the same way
    }
    const final = outcome.statuses.find((status) => status !== 100);
    if (final !== undefined) statuses.set(final, (statuses.get(final) ?? 0) + 1);
    // The client's own hang-up needs no answer; anything else needs one or a clean close.
    if (!fuzz.disconnect && final === undefined && outcome.error !== undefined)
      failures.push(`${fuzz.label}: no answer, ${outcome.error}`);
    if (final !== undefined && final >= 500) failures.push(`${fuzz.label}: ${final}`);
  }
  // No CRASH line: no uncaught exception and no unhandled rejection in the server's process.
  const crashes = output.err.split('\n').filter((line) => line.startsWith('CRASH'));
  expect({ failures, crashes }).toEqual({ failures: [], crashes: [] });
  expect(output.err).toBe('');
  expect(child.exitCode).toBeNull();
  // The fuzz reached every kind of answer, not only the parser's refusals.
  expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 404, 405, 413, 431]));

  const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', body: CHAT });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ choices: [{ message: { content: 'Echo: hi' } }] });

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output.err).toBe('');
}, 30_000);
