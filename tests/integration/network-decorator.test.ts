/**
 * @RetryNetwork end to end with Node's own clients (global `fetch` and `node:http`), and the
 * scope rule: @RetryOpenAI does not retry bare network errors of other clients.
 */
import * as http from 'node:http';
import { RetryNetwork, RetryOpenAI, TRACE_EVENTS } from '../../src';
import { closedPortUrl, reply, scripted, type LoopbackReply } from '../support/loopback-server';
import { className, drive, rejectionOf, settleIo, useHarness, useServers } from './harness';

const h = useHarness();

const serve = useServers();
const script = (...replies: LoopbackReply[]) => scripted(replies);

/** GET with `node:http`; a status >= 400 is an Error with `status`. */
function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** Records every error its methods throw, so tests can check which one reached the caller. */
class WeatherClient {
  readonly thrown: unknown[] = [];
  attempts = 0;
  constructor(private readonly baseUrl: string) {}

  private async record<T>(work: () => Promise<T>): Promise<T> {
    this.attempts++;
    try {
      return await work();
    } catch (error) {
      this.thrown.push(error);
      throw error;
    }
  }

  @RetryNetwork()
  viaFetch(): Promise<string> {
    return this.record(async () => (await fetch(`${this.baseUrl}/weather`)).text());
  }

  @RetryNetwork()
  viaHttp(): Promise<string> {
    return this.record(() => httpGet(`${this.baseUrl}/weather`));
  }

  @RetryNetwork()
  parsed(): Promise<unknown> {
    return this.record(async () => {
      const text = await (await fetch(`${this.baseUrl}/weather`)).text();
      if (!text.startsWith('{')) throw new Error('parse failed');
      return JSON.parse(text);
    });
  }

  /** The wrong decorator for a bare fetch: @RetryOpenAI only knows openai's errors. */
  @RetryOpenAI()
  fetchUnderOpenAIScope(): Promise<string> {
    return this.record(async () => (await fetch(`${this.baseUrl}/weather`)).text());
  }
}

describe('@RetryNetwork with global fetch', () => {
  it('a socket reset, then 200: retried', async () => {
    const srv = await serve(script(reply.reset(), reply.status(200, {}, 'sunny')));
    const weather = new WeatherClient(srv.url);
    await expect(drive(h, weather.viaFetch())).resolves.toBe('sunny');
    expect(srv.requests).toHaveLength(2);
    expect(className(weather.thrown[0])).toBe('TypeError');
    expect((weather.thrown[0] as Error).message).toBe('fetch failed');
    expect(h.retries()).toEqual([expect.objectContaining({ kind: 'network', errorType: 'TypeError', delayMs: 500 })]);
  });

  it("a closed port: retried, then the original TypeError('fetch failed') is rethrown", async () => {
    const weather = new WeatherClient(await closedPortUrl());
    const error = await rejectionOf(drive(h, weather.viaFetch()));

    expect(weather.attempts).toBe(3);
    expect(error).toBe(weather.thrown[2]);
    expect((error as Error).name).toBe('TypeError');
    expect((error as Error).message).toBe('fetch failed');
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(h.retries().map((entry) => entry.delayMs)).toEqual([500, 1000]);
    expect(h.eventsNamed(TRACE_EVENTS.maxRetriesExceeded)).toEqual([
      { max_attempts: 3, final_error_type: 'TypeError', kind: 'network' },
    ]);
  });

  it("a non-network error (new Error('parse failed')) is not retried", async () => {
    const srv = await serve(reply.status(200, { 'content-type': 'text/html' }, '<html>maintenance</html>'));
    const weather = new WeatherClient(srv.url);
    const error = await rejectionOf(drive(h, weather.parsed()));
    expect((error as Error).message).toBe('parse failed');
    expect(error).toBe(weather.thrown[0]);
    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(weather.attempts).toBe(1);
    expect(srv.requests).toHaveLength(1);
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([
      expect.objectContaining({ attempt: 1, kind: 'unknown' }),
    ]);
  });
});

describe('@RetryNetwork with node:http', () => {
  it('a socket reset (ECONNRESET), then 200: retried', async () => {
    const srv = await serve(script(reply.reset(), reply.status(200, {}, 'cloudy')));
    const weather = new WeatherClient(srv.url);
    await expect(drive(h, weather.viaHttp())).resolves.toBe('cloudy');
    expect(srv.requests).toHaveLength(2);
    expect((weather.thrown[0] as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(h.retries()).toEqual([expect.objectContaining({ kind: 'network', delayMs: 500 })]);
  });

  it('a closed port (ECONNREFUSED): retried, then the original error is rethrown', async () => {
    const weather = new WeatherClient(await closedPortUrl());
    const error = await rejectionOf(drive(h, weather.viaHttp()));
    expect(weather.attempts).toBe(3);
    expect(error).toBe(weather.thrown[2]);
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('scope: @RetryOpenAI', () => {
  it('does not retry a bare fetch ECONNREFUSED', async () => {
    const weather = new WeatherClient(await closedPortUrl());
    const error = await rejectionOf(drive(h, weather.fetchUnderOpenAIScope()));
    expect((error as Error).message).toBe('fetch failed');
    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(weather.attempts).toBe(1);
    expect(h.retries()).toHaveLength(0);
    // The classifier knows it is a network error; the OpenAI scope still declines it.
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([
      { attempt: 1, kind: 'network', reason: 'not retryable: ECONNREFUSED' },
    ]);
  });
});
