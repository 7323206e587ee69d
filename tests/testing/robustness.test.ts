/**
 * The fault server never falls over (issue #12, item 18): any request gets an HTTP answer
 * or a clean close, a throw inside a handler is a 500, bodies above `maxBodyBytes` are
 * refused without being buffered, and `requests` keeps at most `recordLimit` entries.
 *
 * Requests go over real loopback sockets: raw `net` for what no HTTP client would send,
 * `node:http` for a streamed body. A crash of the server here is an uncaught exception in
 * the jest worker, which fails the test that caused it.
 */
import * as http from 'node:http';
import * as net from 'node:net';

import { startFaultServer, type FaultServer, type FaultServerOptions } from '../../src/testing';
import * as completion from '../../src/testing/completion';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_RECORD_LIMIT } from '../../src/testing/fault-server';
import * as rateLimit from '../../src/testing/rate-limit-headers';

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

let server: FaultServer | undefined;

async function start(options?: FaultServerOptions): Promise<FaultServer> {
  server = await startFaultServer(options);
  return server;
}

afterEach(async () => {
  jest.restoreAllMocks();
  await server?.close();
  server = undefined;
});

interface RawResult {
  /** Everything the server sent before closing. */
  text: string;
  /** The status codes of the responses in it, in order (a `100 Continue` included). */
  statuses: number[];
  /** The first JSON body in it, if any. */
  json?: any;
  /** The socket error the client saw, if any (`EPIPE` after an early answer, ...). */
  error?: string;
}

/** Writes `parts` on a new connection and collects what comes back until the server closes it. */
function raw(port: number, parts: readonly (string | Buffer)[]): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve(parseRaw(Buffer.concat(received).toString('latin1'), error)));
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
  });
}

function parseRaw(text: string, error: string | undefined): RawResult {
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
  const start = text.indexOf('\r\n\r\n{');
  let json: unknown;
  if (start >= 0) {
    try {
      json = JSON.parse(text.slice(start + 4));
    } catch {
      json = undefined;
    }
  }
  return { text, statuses, json, error };
}

/** A request head with `Connection: close`, so the server closes the socket after answering. */
function head(requestLine: string, headers: readonly string[] = []): string {
  return [requestLine, 'Host: 127.0.0.1', 'Connection: close', ...headers, '', ''].join('\r\n');
}

async function chatOk(target: FaultServer): Promise<void> {
  const response = await fetch(`${target.openaiBaseURL}/chat/completions`, { method: 'POST', body: CHAT });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ choices: [{ message: { content: 'Echo: hi' } }] });
}

const openaiError = (code: unknown = expect.anything()) => ({
  error: { message: expect.any(String), type: expect.any(String), param: null, code },
});

describe('any request gets an answer', () => {
  test('GET //:99999/ is a path (a 404 recorded as not-found), not a crash', async () => {
    await start();
    const result = await raw(server!.port, [head('GET //:99999/ HTTP/1.1')]);
    expect(result.statuses).toEqual([404]);
    expect(result.json).toEqual(openaiError(null));
    expect(result.json.error.message).toBe('Invalid URL (GET //:99999/)');
    expect(server!.requests).toMatchObject([{ method: 'GET', path: '//:99999/', fault: 'not-found' }]);
    await chatOk(server!);
  });

  test('a target that is no path is a 400 invalid_url; absolute form and odd paths are routed', async () => {
    await start();
    const star = await raw(server!.port, [head('OPTIONS * HTTP/1.1')]);
    expect(star.statuses).toEqual([400]);
    expect(star.json).toEqual(openaiError('invalid_url'));
    const body = ['Content-Type: application/json', `Content-Length: ${CHAT.length}`];
    const absolute = await raw(server!.port, [
      head('POST http://example.com/v1/chat/completions HTTP/1.1', body),
      CHAT,
    ]);
    expect(absolute.statuses).toEqual([200]);
    const escapes = await raw(server!.port, [
      head('POST /openai/deployments/%zz/chat/completions?x=%zz HTTP/1.1', body),
      CHAT,
    ]);
    expect(escapes.statuses).toEqual([200]);
    expect(server!.requests.map(({ path, query, fault }) => ({ path, query, fault }))).toEqual([
      { path: '*', query: {}, fault: 'invalid-url' },
      { path: '/v1/chat/completions', query: {}, fault: 'ok' },
      { path: '/openai/deployments/%zz/chat/completions', query: { x: '%zz' }, fault: 'ok' },
    ]);
  });

  test.each([
    ['an unknown method', 'BREW /v1/chat/completions HTTP/1.1', []],
    ['a header value with a control character', 'GET /v1/models HTTP/1.1', ['X-Bad: a\x01b']],
    ['a header line without a colon', 'GET /v1/models HTTP/1.1', ['NoColonHere']],
    ['a bad content-length', 'POST /v1/chat/completions HTTP/1.1', ['Content-Length: 12abc']],
  ])('malformed HTTP (%s) is a 400 with a JSON error body, then the socket closes', async (_what, line, headers) => {
    await start();
    const result = await raw(server!.port, [head(line, headers)]);
    expect(result.statuses).toEqual([400]);
    expect(result.json).toEqual(openaiError('malformed_request'));
    expect(server!.requests).toEqual([]);
    await chatOk(server!);
  });

  test('headers above Node’s limit are a 431 with a JSON error body', async () => {
    await start();
    const result = await raw(server!.port, [head('GET /v1/models HTTP/1.1', [`X-Long: ${'v'.repeat(20_000)}`])]);
    expect(result.statuses).toEqual([431]);
    expect(result.json).toEqual(openaiError('malformed_request'));
    await chatOk(server!);
  });

  test('CONNECT is a 405 with a JSON error body (Node would drop the connection)', async () => {
    await start();
    const result = await raw(server!.port, [head('CONNECT example.com:443 HTTP/1.1')]);
    expect(result.statuses).toEqual([405]);
    expect(result.json).toEqual(openaiError('method_not_allowed'));
    await chatOk(server!);
  });

  test('a throw while replying is a 500 (the request stays recorded with its fault); the server goes on', async () => {
    await start();
    const spy = jest.spyOn(completion, 'replyContent').mockImplementation(() => {
      throw new TypeError('boom');
    });
    const response = await fetch(`${server!.openaiBaseURL}/chat/completions`, { method: 'POST', body: CHAT });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual(openaiError('fault_server_error'));
    expect(server!.requests.at(-1)).toMatchObject({ fault: 'ok' });
    spy.mockRestore();
    await chatOk(server!);
  });

  test('a throw in a delayed reply (slow:<ms>) is a 500 too', async () => {
    await start({ script: ['slow:1'] });
    jest.spyOn(completion, 'replyContent').mockImplementation(() => {
      throw new Error('late boom');
    });
    const response = await fetch(`${server!.openaiBaseURL}/chat/completions`, { method: 'POST', body: CHAT });
    expect(response.status).toBe(500);
    expect((await response.json()).error.message).toContain('Error: late boom');
  });

  test('a throw before the request is recorded is a 500 recorded as internal-error', async () => {
    await start({ rateLimit: { rps: 100, burst: 10 } });
    jest.spyOn(rateLimit, 'rateLimitHeaders').mockImplementationOnce(() => {
      throw new RangeError('headers exploded');
    });
    const response = await fetch(`${server!.openaiBaseURL}/chat/completions`, { method: 'POST', body: CHAT });
    expect(response.status).toBe(500);
    expect((await response.json()).error.message).toContain('RangeError: headers exploded');
    expect(server!.requests).toMatchObject([{ fault: 'internal-error' }]);
    await chatOk(server!);
  });

  test('faultFor throwing a value that cannot be printed is a 400 invalid_fault_spec, not a crash', async () => {
    await start({
      faultFor: () => {
        throw Object.create(null);
      },
    });
    const response = await fetch(`${server!.openaiBaseURL}/chat/completions`, { method: 'POST', body: CHAT });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_fault_spec' } });
    expect(server!.requests).toMatchObject([{ fault: 'invalid-fault' }]);
  });
});

interface Streamed {
  status: number;
  json: any;
  /** How much of the body the client had written when the answer came. */
  sent: number;
}

/**
 * POSTs a chunked body of `total` bytes (one reused chunk, written as fast as the socket
 * takes it) and stops writing once the response arrives.
 */
function streamBody(target: FaultServer, total: number, chunkSize = 64 * 1024): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(chunkSize, 'x');
    let sent = 0;
    let answered = false;
    const req = http.request({
      host: '127.0.0.1',
      port: target.port,
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' }, // no content-length: chunked
    });
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(parts).toString('utf8')), sent });
        req.destroy();
      });
    });
    // EPIPE / ECONNRESET once the server has answered and closed is expected.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const write = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      if (!answered) req.end();
    };
    write();
  });
}

describe('maxBodyBytes', () => {
  test('the defaults: 1 MiB bodies, 10,000 records', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(1_048_576);
    expect(DEFAULT_RECORD_LIMIT).toBe(10_000);
  });

  test('a declared content-length above the limit is a 413 at once, before any body byte is sent', async () => {
    await start();
    // Only the head: the server must answer without waiting for the 1 MiB + 1 it announces.
    const result = await raw(server!.port, [head('POST /v1/chat/completions HTTP/1.1', ['Content-Length: 1048577'])]);
    expect(result.statuses).toEqual([413]);
    expect(result.json).toEqual(openaiError('request_too_large'));
    expect(result.json.error.message).toContain('1048576 bytes');
    expect(server!.requests).toMatchObject([{ path: '/v1/chat/completions', fault: 'too-large', body: undefined }]);
    await chatOk(server!);
  });

  test('Expect: 100-continue with a body above the limit gets the 413 instead of the go-ahead', async () => {
    await start({ maxBodyBytes: 1000 });
    const big = await raw(server!.port, [
      head('POST /v1/chat/completions HTTP/1.1', ['Content-Length: 1001', 'Expect: 100-continue']),
    ]);
    expect(big.statuses).toEqual([413]);
    const body = ['Content-Length: ' + CHAT.length, 'Expect: 100-continue', 'Content-Type: application/json'];
    const small = await raw(server!.port, [head('POST /v1/chat/completions HTTP/1.1', body), CHAT]);
    expect(small.statuses).toEqual([100, 200]);
  });

  test('a body of exactly maxBodyBytes is read; one byte more is a 413', async () => {
    await start({ maxBodyBytes: CHAT.length });
    await chatOk(server!);
    const over = await fetch(`${server!.openaiBaseURL}/chat/completions`, { method: 'POST', body: `${CHAT} ` });
    expect(over.status).toBe(413);
    expect(over.headers.get('x-request-id')).toBe('req_2');
    expect(server!.requests.map((request) => request.fault)).toEqual(['ok', 'too-large']);
  });

  test('a 20 MB chunked body against a 64 KiB limit: a 413 as it passes the limit, memory stays flat, the server goes on', async () => {
    const limit = 64 * 1024;
    await start({ maxBodyBytes: limit });
    await streamBody(server!, 4 * limit); // the code paths of a refusal, loaded once
    const before = process.memoryUsage().rss;
    const result = await streamBody(server!, 20 * 1024 * 1024);
    const growth = process.memoryUsage().rss - before;
    expect(result.status).toBe(413);
    expect(result.json).toEqual(openaiError('request_too_large'));
    expect(result.sent).toBeLessThan(20 * 1024 * 1024); // answered while the body was still coming
    expect(growth).toBeLessThan(10 * 1024 * 1024);
    expect(server!.requests.map((request) => request.fault)).toEqual(['too-large', 'too-large']);
    await chatOk(server!);
  });

  test.each([0, -1, 1.5, NaN, Infinity, '1024'])(
    'maxBodyBytes %p is rejected, naming the field, the rule and the value',
    async (value) => {
      await expect(startFaultServer({ maxBodyBytes: value as number })).rejects.toThrow(
        `maxBodyBytes must be a positive integer, got ${String(value)}`,
      );
    },
  );
});

describe('recordLimit', () => {
  test('requests keeps the last recordLimit entries (the same array), request ids go on', async () => {
    await start({ recordLimit: 3 });
    const { requests } = server!;
    for (let i = 0; i < 5; i++) await chatOk(server!);
    expect(server!.requests).toBe(requests);
    expect(requests.map((request) => request.requestId)).toEqual(['req_3', 'req_4', 'req_5']);
    await raw(server!.port, [head('GET /nowhere HTTP/1.1')]);
    expect(requests.map((request) => `${request.requestId} ${request.fault}`)).toEqual([
      'req_4 ok',
      'req_5 ok',
      'req_6 not-found',
    ]);
  });

  test.each([0, -5, 2.5, NaN, '10'])(
    'recordLimit %p is rejected, naming the field, the rule and the value',
    async (value) => {
      await expect(startFaultServer({ recordLimit: value as number })).rejects.toThrow(
        `recordLimit must be a positive integer, got ${String(value)}`,
      );
    },
  );
});
