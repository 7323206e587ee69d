import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { CallResult, StatsResult, WorkerSettings } from './replica-worker';

const WORKER = path.join(__dirname, 'replica-worker.ts');
const REQUIRE_TYPESCRIPT = path.join(__dirname, '..', '..', 'support', 'require-typescript.js');

/** A replica process, driven over IPC. */
export class Replica {
  private nextId = 1;
  private readonly pending = new Map<number, (message: any) => void>();
  private readonly ready: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.ready = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`replica ${name} exited early (code ${code})`)));
      child.on('message', (message: { id: number; ready?: string }) => {
        if (message.ready !== undefined) return resolve();
        const settle = this.pending.get(message.id);
        this.pending.delete(message.id);
        settle?.(message);
      });
    });
    // A rejection nobody awaits yet must not be unhandled (start() awaits it).
    this.ready.catch(() => undefined);
  }

  started(): Promise<void> {
    return this.ready;
  }

  /** One chat call through the replica's ResilientLLMService. */
  call(content: string, retryConfig: Record<string, unknown> = {}, model?: string): Promise<CallResult> {
    return this.request({ cmd: 'call', content, retryConfig, model });
  }

  stats(): Promise<StatsResult> {
    return this.request({ cmd: 'stats' });
  }

  /** Asks the replica to close its store and exit; kills it if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ id: -1, cmd: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private request<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ ...message, id });
    });
  }
}

/** Starts `names.length` replica processes sharing one Redis and one fault server. */
export async function startReplicas(names: string[], settings: Omit<WorkerSettings, 'name'>): Promise<Replica[]> {
  const start = (name: string) => {
    const child = fork(WORKER, [], {
      execArgv: ['-r', REQUIRE_TYPESCRIPT],
      env: { ...process.env, NODE_OPTIONS: '', REPLICA_SETTINGS: JSON.stringify({ ...settings, name }) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Replica(name, child);
  };
  // The first fills the transpile cache; the others then load from it.
  const [first, ...rest] = names;
  const replicas = [start(first)];
  await replicas[0].started();
  replicas.push(...rest.map(start));
  await Promise.all(replicas.map((replica) => replica.started()));
  return replicas;
}
