import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real `redis-server` for tests, on a free loopback port, without persistence
 * (`--save '' --appendonly no`, in a temporary directory removed on stop).
 *
 * `.ci/run` installs the Debian package when it is missing. On a developer machine without
 * it, `describeWithRedis` skips the suite with a loud warning; in CI (`CI=true`) a missing
 * server fails the suite instead.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Shuts the server down (SIGTERM) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would; `restart()` brings it back. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (empty: nothing was persisted) and waits until it answers. */
  restart(): Promise<void>;
}

const BINARY = 'redis-server';
const START_TIMEOUT_MS = 10_000;

let available: boolean | undefined;
let majorVersion: number | undefined;

/** Whether `redis-server` can be run here (checked once). */
export function redisAvailable(): boolean {
  if (available === undefined) {
    const result = spawnSync(BINARY, ['--version'], { encoding: 'utf8', timeout: 5000 });
    available = result.status === 0;
    const match = /v=(\d+)\./.exec(result.stdout ?? '');
    majorVersion = match ? Number(match[1]) : undefined;
  }
  return available;
}

/** Every server process started here, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const server of running) server.kill('SIGKILL');
    });
  }
}

/** A port nobody listens on right now (the OS's choice). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `PING` gets `+PONG` on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `redis-server` on `port` in `dir`; resolves once it answers, rejects with its output if it exits. */
async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  // Lets tests make Redis slow with `DEBUG SLEEP` (Redis 7 refuses DEBUG unless told).
  if ((majorVersion ?? 0) >= 7) args.push('--enable-debug-command', 'local');
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (error) => {
    exited = true;
    output += String(error);
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server exited before accepting connections on port ${port}:\n${output}`);
    if (await answers(port)) return child;
    await delay(20);
  }
  child.kill('SIGKILL');
  await waitForExit(child);
  throw new Error(`redis-server did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms:\n${output}`);
}

/** Starts a fresh `redis-server` on a free loopback port. Stop it in `afterAll`. */
export async function startRedisServer(): Promise<RedisServer> {
  if (!redisAvailable()) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-resilience-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  // The free port may be taken between the check and the bind: try a few.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
    } catch (error) {
      if (attempt >= 3) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  let current: ChildProcess | undefined = child;
  const end = async (signal: NodeJS.Signals) => {
    const server = current;
    current = undefined;
    if (server === undefined) return;
    server.kill(signal);
    await waitForExit(server);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => end('SIGKILL'),
    async stop() {
      await end('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await end('SIGKILL');
      current = await launch(port, dir);
    },
  };
}

/**
 * `describe` for suites that need a real Redis. Without `redis-server` on PATH: skipped with
 * a loud warning on a developer machine, but a failure in CI (`CI=true`).
 */
export function describeWithRedis(name: string, fn: () => void): void {
  if (redisAvailable()) {
    describe(name, fn);
    return;
  }
  const message =
    `redis-server is not on PATH: "${name}" needs a real Redis ` +
    '(Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis).';
  if (process.env.CI === 'true') {
    throw new Error(`${message} In CI this is a failure, not a skip.`);
  }
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPED: ${message}\n${'!'.repeat(78)}\n`);
  describe.skip(name, fn);
}
