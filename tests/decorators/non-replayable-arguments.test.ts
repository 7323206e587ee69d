/**
 * Issue #12 item 5: arguments that cannot be sent twice. A call whose attempt failed is not
 * retried when one of its arguments was consumed by that attempt (a read ReadableStream, a
 * Node Readable, an async iterator, a used Request): the caller gets the attempt's own error,
 * not the connection error a second attempt would make. Real sockets: the `openai` SDK and
 * `fetch` against the fault server; real timers (a bare '429' asks for 200 ms).
 */
import { Readable } from 'node:stream';
import OpenAI, { RateLimitError } from 'openai';
import {
  configureResilience,
  getRetryContext,
  resetResilience,
  Retry,
  RetryNetwork,
  RetryOpenAI,
  TRACE_EVENTS,
  type Tracer,
} from '../../src';
import { unreplayableArgument } from '../../src/engine/replayable-arguments';
import { startFaultServer, type FaultServer } from '../../src/testing';
import { flushLogs } from '../support/memory-transport';
import { createTestLogger } from '../support/test-logger';

const API_KEY = 'sk-proj-TESTKEY0123456789abcdefABCDEF0123456789';
const PAYLOAD = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });

type Event = { event: string; details: Record<string, unknown> };
let events: Event[];
let log: ReturnType<typeof createTestLogger>;
let server: FaultServer | undefined;

const tracer: Tracer = {
  logEvent: (event, details) => void events.push({ event, details }),
  logError: () => undefined,
};
const named = (name: string) => events.filter((entry) => entry.event === name).map((entry) => entry.details);

beforeEach(() => {
  resetResilience();
  events = [];
  log = createTestLogger();
  configureResilience({ logger: log.logger, tracer, random: () => 0 });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await flushLogs();
  resetResilience();
});

async function serve(script: string[]): Promise<FaultServer> {
  server = await startFaultServer({ script });
  return server;
}

const encoder = new TextEncoder();
/** A body sent as a stream (chunked): the attempt that sends it reads it. */
function streamBody(text = PAYLOAD): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode(text));
      controller.close();
    },
  });
}
async function* generatorBody(text = PAYLOAD): AsyncGenerator<Uint8Array> {
  yield encoder.encode(text);
}
/** An async iterable that makes a fresh iterator each time: replayable. */
const iterableBody = (text = PAYLOAD): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    yield encoder.encode(text);
  },
});

type Body = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | string | Buffer;

/** The README's shape, with a raw body: the SDK sends a stream as is (chunked, duplex 'half'). */
class Sender {
  constructor(private readonly client: OpenAI) {}

  @RetryOpenAI({ maxAttempts: 3, baseDelayMs: 100 })
  async send(body: Body): Promise<unknown> {
    const { signal } = getRetryContext()!;
    return this.client.post('/chat/completions', {
      body,
      headers: { 'content-type': 'application/json' },
      signal,
    });
  }

  /** The body one level down, in a request-options object. */
  @RetryOpenAI({ maxAttempts: 3, baseDelayMs: 100 })
  async sendWith(options: { body: Body }): Promise<unknown> {
    return this.client.post('/chat/completions', { ...options, headers: { 'content-type': 'application/json' } });
  }
}

const sender = (target: FaultServer) =>
  new Sender(new OpenAI({ apiKey: API_KEY, baseURL: target.openaiBaseURL, maxRetries: 0 }));

/** A plain `fetch` under @RetryNetwork; a failed response is thrown as is. */
class Fetcher {
  constructor(private readonly url: string) {}

  @RetryNetwork({ maxAttempts: 3, baseDelayMs: 100 })
  async post(body: ReadableStream<Uint8Array> | Readable | string): Promise<unknown> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: body as BodyInit,
      duplex: 'half',
    } as RequestInit);
    if (!response.ok) throw response;
    return response.json();
  }
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function expectNotRetried(target: FaultServer): void {
  expect(target.requests.map((request) => request.fault)).toEqual(['429']);
  expect(named(TRACE_EVENTS.notRetryable)).toEqual([
    expect.objectContaining({ attempt: 1, kind: 'rate_limit', reason: 'argument_not_replayable' }),
  ]);
  expect(named(TRACE_EVENTS.backoffDelay)).toEqual([]);
  const said = log.transport.entries.filter((entry) => String(entry.message).includes('argument_not_replayable'));
  expect(said.length).toBeGreaterThan(0);
}

describe('a streamed body is sent once: a 429 surfaces as is', () => {
  it('openai SDK, a ReadableStream body: one request, the RateLimitError, retry_not_retryable', async () => {
    const target = await serve(['429', 'ok']);
    const error = await failureOf(sender(target).send(streamBody()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).status).toBe(429);
    expectNotRetried(target);
    expect(log.at('warn').map((entry) => entry.message)).toContainEqual(
      expect.stringMatching(/failed at attempt 1\/3 and is not retried: argument_not_replayable \(rate_limit 429/),
    );
  });

  it('openai SDK, an async generator body', async () => {
    const target = await serve(['429', 'ok']);
    const error = await failureOf(sender(target).send(generatorBody()));
    expect(error).toBeInstanceOf(RateLimitError);
    expectNotRetried(target);
  });

  it('openai SDK, the stream one level down ({ body })', async () => {
    const target = await serve(['429', 'ok']);
    const error = await failureOf(sender(target).sendWith({ body: streamBody() }));
    expect(error).toBeInstanceOf(RateLimitError);
    expectNotRetried(target);
    const locked = streamBody();
    locked.getReader();
    expect(unreplayableArgument([{ body: locked }])).toMatch(/^argument 1, property body \(a .*ReadableStream/);
  });

  it('fetch with a ReadableStream body (duplex half): the 429 Response, not a TypeError', async () => {
    const target = await serve(['429', 'ok']);
    const error = await failureOf(new Fetcher(`${target.openaiBaseURL}/chat/completions`).post(streamBody()));
    expect(error).toBeInstanceOf(Response);
    expect((error as Response).status).toBe(429);
    expectNotRetried(target);
  });

  it('fetch with a Node Readable body', async () => {
    const target = await serve(['429', 'ok']);
    const error = await failureOf(
      new Fetcher(`${target.openaiBaseURL}/chat/completions`).post(Readable.from([Buffer.from(PAYLOAD)])),
    );
    expect((error as Response).status).toBe(429);
    expectNotRetried(target);
  });

  it('without a tracer (the lean first attempt) the call is not retried either', async () => {
    configureResilience({ tracer: undefined });
    const target = await serve(['429', 'ok']);
    const error = await failureOf(sender(target).send(streamBody()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(target.requests).toHaveLength(1);
  });
});

describe('a body that can be sent again is retried', () => {
  it.each<[string, () => Body]>([
    ['a string', () => PAYLOAD],
    ['a Buffer', () => Buffer.from(PAYLOAD)],
    ['an async iterable that makes a fresh iterator', () => iterableBody()],
  ])('openai SDK, %s: 2 requests, ok', async (_name, body) => {
    const target = await serve(['429', 'ok']);
    const completion = (await sender(target).send(body())) as { object: string };
    expect(completion.object).toBe('chat.completion');
    expect(target.requests.map((request) => request.fault)).toEqual(['429', 'ok']);
    expect(named(TRACE_EVENTS.notRetryable)).toEqual([]);
  });

  it('fetch with a string body: 2 requests, ok', async () => {
    const target = await serve(['429', 'ok']);
    const completion = (await new Fetcher(`${target.openaiBaseURL}/chat/completions`).post(PAYLOAD)) as {
      object: string;
    };
    expect(completion.object).toBe('chat.completion');
    expect(target.requests).toHaveLength(2);
  });
});

describe('what is unchanged', () => {
  it('a failure that is not retried anyway keeps its own reason', async () => {
    const target = await serve(['401']);
    await failureOf(sender(target).send(streamBody()));
    expect(target.requests).toHaveLength(1);
    const [event] = named(TRACE_EVENTS.notRetryable);
    expect(event).toEqual(expect.objectContaining({ kind: 'auth' }));
    expect(event.reason).not.toBe('argument_not_replayable');
  });

  it('an async-generator method (a stream) keeps its rules: retried before its first item', async () => {
    let calls = 0;
    class Streamer {
      @Retry({ maxAttempts: 2, baseDelayMs: 100, shouldRetry: () => true })
      async *relay(source: AsyncIterable<number>): AsyncGenerator<number> {
        calls++;
        for await (const item of source) {
          if (calls === 1) throw new Error('flaky');
          yield item;
        }
      }
    }
    async function* numbers() {
      yield 1;
    }
    const items: number[] = [];
    const source = numbers();
    await failureOf(
      (async () => {
        for await (const item of new Streamer().relay(source)) items.push(item);
        throw new Error('done');
      })(),
    );
    expect(calls).toBe(2);
    expect(named(TRACE_EVENTS.notRetryable)).toEqual([]);
  });
});

describe('unreplayableArgument', () => {
  async function readStream(): Promise<ReadableStream<Uint8Array>> {
    const stream = streamBody();
    const reader = stream.getReader();
    await reader.read();
    reader.releaseLock();
    return stream;
  }
  async function usedRequest(): Promise<Request> {
    const request = new Request('http://127.0.0.1/', { method: 'POST', body: 'x' });
    await request.text();
    return request;
  }
  async function readReadable(): Promise<Readable> {
    const readable = Readable.from(['a', 'b']);
    for await (const _chunk of readable) break;
    return readable;
  }
  async function endedReadable(): Promise<Readable> {
    const readable = Readable.from(['a']);
    readable.resume();
    await new Promise((resolve) => readable.on('end', resolve));
    return readable;
  }

  it.each<[string, () => unknown, string]>([
    ['an async generator', () => generatorBody(), 'an async iterator, which can be read only once'],
    [
      'a ReadableStream iterator',
      () => (streamBody() as unknown as { values(): AsyncIterableIterator<Uint8Array> }).values(),
      'an async iterator, which can be read only once',
    ],
    ['a destroyed Readable', () => Readable.from(['a']).destroy(), 'a destroyed Readable stream'],
  ])('not replayable (sync): %s', (_name, make, description) => {
    expect(unreplayableArgument([make()])).toBe(`argument 1 (${description})`);
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['a read ReadableStream', readStream, 'a ReadableStream already read'],
    [
      'a locked ReadableStream',
      async () => {
        const stream = streamBody();
        stream.getReader();
        return stream;
      },
      'a locked ReadableStream',
    ],
    [
      'a cancelled ReadableStream',
      async () => {
        const stream = streamBody();
        await stream.cancel();
        return stream;
      },
      'a ReadableStream already read',
    ],
    [
      'a failed ReadableStream',
      async () => new ReadableStream({ start: (controller) => controller.error(new Error('x')) }),
      'a ReadableStream that failed',
    ],
    ['a Readable that was read', readReadable, 'a Readable stream already read'],
    ['a Readable that ended', endedReadable, 'a Readable stream already read'],
    ['a Request whose body was used', usedRequest, 'a Request whose body was used'],
    [
      'a Response whose body was used',
      async () => {
        const response = new Response('x');
        await response.text();
        return response;
      },
      'a Response whose body was used',
    ],
  ])('not replayable: %s', async (_name, make, description) => {
    expect(unreplayableArgument([await make()])).toBe(`argument 1 (${description})`);
  });

  it.each<[string, () => unknown]>([
    ['undefined', () => undefined],
    ['null', () => null],
    ['a string', () => 'body'],
    ['a number', () => 42],
    ['a Buffer', () => Buffer.from('x')],
    ['a Uint8Array', () => new Uint8Array([1])],
    ['a Blob', () => new Blob(['x'])],
    ['FormData', () => new FormData()],
    ['URLSearchParams', () => new URLSearchParams('a=1')],
    ['an array', () => [1, 2, 3]],
    ['a plain object', () => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })],
    ['a fresh ReadableStream', () => streamBody()],
    ['a fresh Readable', () => Readable.from(['a'])],
    ['an async iterable with fresh iterators', () => iterableBody()],
    ['an unused Request', () => new Request('http://127.0.0.1/', { method: 'POST', body: 'x' })],
    ['an unused Response', () => new Response('x')],
    ['an AbortSignal', () => new AbortController().signal],
    ['a Map', () => new Map([['a', 1]])],
    ['a function', () => () => 1],
  ])('replayable: %s', (_name, make) => {
    expect(unreplayableArgument([make()])).toBeUndefined();
  });

  it('looks into plain objects and arrays, two levels down, and names where', async () => {
    const stream = await readStream();
    expect(unreplayableArgument(['a', { body: stream }])).toBe(
      'argument 2, property body (a ReadableStream already read)',
    );
    expect(unreplayableArgument([{ options: { body: stream } }])).toBe(
      'argument 1, property options, property body (a ReadableStream already read)',
    );
    expect(unreplayableArgument([[1, stream]])).toBe('argument 1, item 1 (a ReadableStream already read)');
    expect(unreplayableArgument([{ input_file: generatorBody() }])).toBe(
      'argument 1, property input_file (an async iterator, which can be read only once)',
    );
  });

  it('never names a value, nor a key that is not an identifier', async () => {
    const stream = await readStream();
    expect(unreplayableArgument([{ 'alice@example.com': stream }])).toBe(
      'argument 1, property (unnamed) (a ReadableStream already read)',
    );
  });

  it('stops at depth 2, at a bounded number of properties, at class instances and getters', async () => {
    const stream = await readStream();
    expect(unreplayableArgument([{ a: { b: { body: stream } } }])).toBeUndefined();
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) wide[`p${i}`] = i;
    wide.body = stream;
    expect(unreplayableArgument([wide])).toBeUndefined();
    class Options {
      body = stream;
    }
    expect(unreplayableArgument([new Options()])).toBeUndefined();
    let ran = false;
    const withGetter = {
      get body() {
        ran = true;
        return stream;
      },
    };
    expect(unreplayableArgument([withGetter])).toBeUndefined();
    expect(ran).toBe(false);
  });

  it('a value that throws when looked at counts as replayable', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no');
        },
        getPrototypeOf() {
          throw new Error('no');
        },
      },
    );
    expect(unreplayableArgument([hostile])).toBeUndefined();
  });
});
