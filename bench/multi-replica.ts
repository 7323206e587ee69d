/**
 * `npm run bench:replicas`: 4 processes x concurrency 25 (250 calls each) against one fault
 * server limited to 200 req/s (burst 10), with the Redis state store and with in-process
 * state only. Target (issue #6): with Redis, 429s at most a third of the in-process figure,
 * and every call succeeds. Needs `redis-server` on the PATH.
 *
 * The parent starts the fault server and Redis, then forks this same file as workers.
 */
import { fork } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';
import { Redis } from 'ioredis';
import { configureResilience } from '../src';
import { createRedisStateStore } from '../src/integrations/redis';
import { startFaultServer } from '../src/testing';
import { llmResilience, silenceLibraryLogs } from './support/clients';

const PROCESSES = 4;
const CONCURRENCY = 25;
const CALLS_PER_PROCESS = 250;
const RPS = 200;
const BURST = 10;

async function worker(): Promise<void> {
  const { baseURL, redisPort } = JSON.parse(process.env.BENCH_WORKER!) as { baseURL: string; redisPort?: number };
  silenceLibraryLogs();
  let client: Redis | undefined;
  if (redisPort !== undefined) {
    client = new Redis(redisPort, '127.0.0.1', { maxRetriesPerRequest: 0 });
    configureResilience({ stateStore: createRedisStateStore({ client }) });
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the subscription settle
  }
  const call = llmResilience({ maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 2000 })(baseURL);
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS_PER_PROCESS) {
        const i = next++;
        await call(i).then(
          () => ok++,
          () => failed++,
        );
      }
    }),
  );
  process.send!({ ok, failed, seconds: (performance.now() - started) / 1000 });
  client?.disconnect();
  process.exit(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50 });
  for (let i = 0; i < 100; i++) {
    try {
      await probe.connect();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  probe.disconnect();
  return { port, stop: () => child.kill() };
}

async function run(
  withRedis: boolean,
): Promise<{ ok: number; failed: number; seconds: number; rateLimited: number; requests: number }> {
  const server = await startFaultServer({ rateLimit: { rps: RPS, burst: BURST } });
  const redis = withRedis ? await startRedis() : undefined;
  try {
    const started = performance.now();
    const results = await Promise.all(
      Array.from(
        { length: PROCESSES },
        () =>
          new Promise<{ ok: number; failed: number }>((resolve, reject) => {
            const child = fork(__filename, [], {
              env: {
                ...process.env,
                BENCH_WORKER: JSON.stringify({ baseURL: server.openaiBaseURL, redisPort: redis?.port }),
              },
            });
            child.once('message', (message) => resolve(message as { ok: number; failed: number }));
            child.once('error', reject);
          }),
      ),
    );
    if (process.argv.includes('--detail')) {
      // When the 429s came: per 250 ms since the first request.
      const first = Math.min(...server.requests.map((request) => request.at));
      const buckets: Record<number, number> = {};
      for (const request of server.requests) {
        if (request.fault !== 'rate-limited') continue;
        const bucket = Math.floor((request.at - first) / 250);
        buckets[bucket] = (buckets[bucket] ?? 0) + 1;
      }
      console.log(`${withRedis ? 'Redis' : 'in-process'}: 429s per 250 ms`, JSON.stringify(buckets));
    }
    return {
      ok: results.reduce((sum, r) => sum + r.ok, 0),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      seconds: (performance.now() - started) / 1000,
      rateLimited: server.requests.filter((request) => request.fault === 'rate-limited').length,
      requests: server.requests.length,
    };
  } finally {
    await server.close();
    redis?.stop();
  }
}

async function main(): Promise<void> {
  const local = await run(false);
  const shared = await run(true);
  const total = PROCESSES * CALLS_PER_PROCESS;
  console.log(
    `multi-replica — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}`,
  );
  console.log(
    `${PROCESSES} processes × concurrency ${CONCURRENCY} (${total} calls), one fault server at ${RPS} req/s burst ${BURST}\n`,
  );
  console.log('| state | succeeded | failed | total time (s) | HTTP requests | 429 responses |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, r] of [
    ['in-process only', local],
    ['Redis state store', shared],
  ] as const) {
    console.log(`| ${name} | ${r.ok} | ${r.failed} | ${r.seconds.toFixed(2)} | ${r.requests} | ${r.rateLimited} |`);
  }
  console.log(
    `\n429s with Redis / in-process: ${(shared.rateLimited / Math.max(1, local.rateLimited)).toFixed(2)} (target <= 0.33)`,
  );
}

if (process.env.BENCH_WORKER) {
  worker().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
