/**
 * `npm run demo:network`: decorated methods recovering from failures of a local HTTP server.
 *
 * A loopback server plays a flaky provider: an OpenAI-compatible endpoint that answers
 * 429 (with Retry-After), then 503, then a completion; and a plain HTTP endpoint whose
 * first connection is reset. The real `openai` SDK (with its own retries off) and
 * Node's `fetch` call it through `@RetryOpenAI` and `@RetryNetwork`; the library's
 * warning lines go to stderr, the trace events and results to stdout. Exits non-zero when a
 * call did not recover as described.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
// In an app: 'llm-resilience'.
import { configureResilience, getRetryContext, RetryNetwork, RetryOpenAI } from '../../src';

type Step = 'ok' | 429 | 503 | 'reset';

interface FlakyServer {
  url: string;
  /** Requests received, by path. */
  hits: Record<string, number>;
  close(): Promise<void>;
}

function startFlakyServer(scripts: Record<string, Step[]>): Promise<FlakyServer> {
  const sockets = new Set<import('node:net').Socket>();
  const hits: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    hits[path] = (hits[path] ?? 0) + 1;
    const step = scripts[path]?.shift() ?? 'ok';
    req.resume();
    if (step === 'reset') return req.socket.destroy();
    if (step === 429) {
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after-ms': '300',
        'x-request-id': 'req_demo_429',
      });
      return res.end(
        JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }),
      );
    }
    if (step === 503) {
      res.writeHead(503, { 'content-type': 'application/json', 'x-request-id': 'req_demo_503' });
      return res.end(JSON.stringify({ error: { message: 'The server is overloaded', type: 'server_error' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_demo_ok' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-demo',
        object: 'chat.completion',
        created: 0,
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello from the flaky server!' } },
        ],
      }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        hits,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    }),
  );
}

class ChatAgent {
  // One retry layer only: the SDK's own retries are off.
  constructor(private readonly client: OpenAI) {}

  @RetryOpenAI({ maxAttempts: 4, baseDelayMs: 200 })
  async complete(question: string): Promise<string> {
    const { signal } = getRetryContext()!;
    const completion = await this.client.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] },
      { signal },
    );
    return completion.choices[0].message.content ?? '';
  }
}

class StatusClient {
  constructor(private readonly baseUrl: string) {}

  @RetryNetwork({ maxAttempts: 3, baseDelayMs: 150 })
  async health(): Promise<number> {
    const response = await fetch(`${this.baseUrl}/health`, { signal: getRetryContext()!.signal });
    await response.arrayBuffer();
    return response.status;
  }
}

/** Runs both calls; answers whether each recovered as described (mismatches go to stderr). */
export async function runNetworkDemo(): Promise<boolean> {
  const server = await startFlakyServer({ '/v1/chat/completions': [429, 503, 'ok'], '/health': ['reset', 'ok'] });
  configureResilience({
    tracer: { logEvent: (event, details) => console.log(`  trace ${event} ${JSON.stringify(details)}`) },
  });
  let answer: string;
  let status: number;
  try {
    const client = new OpenAI({ apiKey: 'sk-demo-not-a-real-key', baseURL: `${server.url}/v1`, maxRetries: 0 });
    console.log('ChatAgent.complete against a server answering 429 (Retry-After 300 ms), 503, then 200:');
    const started = Date.now();
    answer = await new ChatAgent(client).complete('Say hello');
    console.log(`  => "${answer}" after ${Date.now() - started} ms\n`);

    console.log('StatusClient.health against a server that resets the first connection:');
    status = await new StatusClient(server.url).health();
    console.log(`  => HTTP ${status}`);
  } finally {
    await server.close();
  }

  const problems = [
    answer === 'Hello from the flaky server!' ? '' : `ChatAgent.complete answered "${answer}"`,
    server.hits['/v1/chat/completions'] === 3
      ? ''
      : `ChatAgent.complete sent ${server.hits['/v1/chat/completions']} requests, expected 3`,
    status === 200 ? '' : `StatusClient.health got HTTP ${status}`,
    server.hits['/health'] === 2 ? '' : `StatusClient.health sent ${server.hits['/health']} requests, expected 2`,
  ].filter(Boolean);
  for (const problem of problems) console.error(`Unexpected: ${problem}`);
  return problems.length === 0;
}

if (require.main === module) {
  runNetworkDemo().then(
    (demonstrated) => {
      if (!demonstrated) process.exitCode = 1;
    },
    (error: unknown) => {
      console.error('demo failed:', error);
      process.exitCode = 1;
    },
  );
}
