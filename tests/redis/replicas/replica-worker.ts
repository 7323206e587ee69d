// One replica of a service that calls an LLM: a separate Node process with its own Redis
// client, state store and ResilientLLMService, driven by the test over IPC.
// Started by replica-fleet.ts (node -r tests/support/require-typescript.js).
import { Redis } from 'ioredis';
import { configureResilience, isAgentExecutionError, ResilientLLMService } from '../../../src';
import { createRedisStateStore } from '../../../src/integrations/redis';

export interface WorkerSettings {
  name: string;
  redisPort: number;
  baseURL: string;
  prefix: string;
}

/** What the test asks: one chat call with this content and retry config. */
export interface CallRequest {
  id: number;
  cmd: 'call';
  content: string;
  retryConfig: Record<string, unknown>;
  /** The model (part of the upstream key): default gpt-4o. */
  model?: string;
}
export interface CallResult {
  id: number;
  ok: boolean;
  kind?: string;
  attempts?: number;
  ms: number;
}
export interface StatsResult {
  id: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
  warnings: string[];
  infos: string[];
  /** What this replica's store told the service (in order): the tests wait on it. */
  heard: HeardEvent[];
}
/** An event the replica's store delivered (the fields the tests look at). */
export interface HeardEvent {
  type: string;
  key: string;
  untilMs?: number;
  state?: string;
}

const settings = JSON.parse(process.env.REPLICA_SETTINGS!) as WorkerSettings;
let unhandledRejections = 0;
let uncaughtExceptions = 0;
process.on('unhandledRejection', () => unhandledRejections++);
process.on('uncaughtException', () => uncaughtExceptions++);

const warnings: string[] = [];
const infos: string[] = [];
const logger = {
  error: (message: string) => warnings.push(message),
  warn: (message: string) => warnings.push(message),
  info: (message: string) => infos.push(message),
  debug: () => undefined,
};

// Reconnect often, as the store's README advises, so the replica rejoins within seconds.
const client = new Redis(settings.redisPort, '127.0.0.1', {
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(times * 100, 500),
});
client.on('error', () => undefined); // the store reports Redis episodes; ioredis would print them
const store = createRedisStateStore({ client, prefix: settings.prefix, logger });
// What the store tells the service's listener, recorded right after the listener has applied
// it (no listener of its own: that would add a catch-up, Redis commands the service never makes).
const heard: HeardEvent[] = [];
const subscribe = store.subscribe.bind(store);
store.subscribe = (listener) =>
  subscribe((event) => {
    listener(event);
    heard.push({ ...event });
  });
const service = new ResilientLLMService({ stateStore: store, logger });
// What other replicas report (a circuit they opened) is logged through the configured logger.
configureResilience({ logger });

async function call(request: CallRequest): Promise<CallResult> {
  const started = performance.now();
  try {
    await service.resilientChatCompletion(
      {
        provider: 'openai',
        model: request.model ?? 'gpt-4o',
        baseURL: settings.baseURL,
        apiKey: 'sk-replica-test',
        retryConfig: request.retryConfig,
      },
      { messages: [{ role: 'user', content: request.content }] },
    );
    return { id: request.id, ok: true, ms: performance.now() - started };
  } catch (error) {
    const kind = isAgentExecutionError(error) ? error.kind : 'unexpected';
    const attempts = isAgentExecutionError(error) ? error.attempts : undefined;
    return { id: request.id, ok: false, kind, attempts, ms: performance.now() - started };
  }
}

process.on('message', (message: { id: number; cmd: string } & Partial<CallRequest>) => {
  if (message.cmd === 'call') {
    void call(message as CallRequest).then((result) => process.send!(result));
  } else if (message.cmd === 'stats') {
    const stats: StatsResult = { id: message.id, unhandledRejections, uncaughtExceptions, warnings, infos, heard };
    process.send!(stats);
  } else if (message.cmd === 'exit') {
    void store.close().finally(() => {
      client.disconnect();
      process.exit(0);
    });
  }
});
process.send!({ id: 0, ready: settings.name });
