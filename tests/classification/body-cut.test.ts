/**
 * A response body cut mid-way: undici (Node's `fetch`, so the `openai` SDK) errors the body with
 * `TypeError: terminated` whose cause is the socket's error. The SDK lets it through unwrapped,
 * so every scope must know it (issue #12: `@RetryOpenAI` did not retry a stream cut before its
 * first item).
 */
import OpenAI, { AzureOpenAI } from 'openai';
import {
  classifyAzureError,
  classifyError,
  classifyNetworkError,
  classifyOpenAIError,
  shouldRetryAzureError,
  shouldRetryNetworkError,
  shouldRetryOpenAIError,
  type ErrorClassification,
} from '../../src/classification';
import { startFaultServer, type FaultServer } from '../../src/testing';

/** undici's errors, as `lib/core/errors.js` builds them: `name` and `code` set on an Error. */
const undiciError = (name: string, code: string, message: string): Error =>
  Object.assign(new Error(message), { name, code });
const socketError = (): Error => undiciError('SocketError', 'UND_ERR_SOCKET', 'other side closed');
/** undici's fetch: `new TypeError('terminated', { cause })` when the body stream is cut. */
const terminated = (cause?: unknown): TypeError =>
  cause === undefined ? new TypeError('terminated') : new TypeError('terminated', { cause });
const systemError = (code: string): Error => Object.assign(new Error(`read ${code}`), { code, syscall: 'read' });

const network = (reason: string): ErrorClassification => ({ kind: 'network', retryable: true, reason });

describe('TypeError: terminated (a body cut mid-way) in every scope', () => {
  it.each<[string, () => unknown, ErrorClassification]>([
    [
      'cause SocketError UND_ERR_SOCKET (what undici sends)',
      () => terminated(socketError()),
      network('UND_ERR_SOCKET'),
    ],
    [
      'cause ClientClosedError UND_ERR_CLOSED',
      () => terminated(undiciError('ClientClosedError', 'UND_ERR_CLOSED', 'The client is closed')),
      network('UND_ERR_CLOSED'),
    ],
    ['cause a Node ECONNRESET', () => terminated(systemError('ECONNRESET')), network('ECONNRESET')],
    ['cause a Node EPIPE', () => terminated(systemError('EPIPE')), network('EPIPE')],
    [
      'the code two causes deep',
      () => terminated(new Error('wrapped', { cause: socketError() })),
      network('UND_ERR_SOCKET'),
    ],
    [
      'a SocketError without a code',
      () => terminated(Object.assign(new Error('other side closed'), { name: 'SocketError' })),
      network('connection error'),
    ],
    [
      'a SocketError without a code, one cause deep',
      () => terminated(new Error('wrapped', { cause: Object.assign(new Error('closed'), { name: 'SocketError' }) })),
      network('connection error'),
    ],
    [
      'cause UND_ERR_BODY_TIMEOUT (the body stalled)',
      () => terminated(undiciError('BodyTimeoutError', 'UND_ERR_BODY_TIMEOUT', 'Body Timeout Error')),
      { kind: 'timeout', retryable: true, reason: 'UND_ERR_BODY_TIMEOUT' },
    ],
  ])('%s -> retryable', (_label, make, expected) => {
    const error = make();
    expect(classifyOpenAIError(error)).toEqual(expected);
    expect(classifyAzureError(error)).toEqual(expected);
    expect(classifyNetworkError(error)).toEqual(expected);
    expect(classifyError(error)).toEqual(expected);
    expect(shouldRetryOpenAIError(error)).toBe(true);
    expect(shouldRetryAzureError(error)).toBe(true);
    expect(shouldRetryNetworkError(error)).toBe(true);
  });

  it.each<[string, () => unknown]>([
    ['no cause', () => terminated()],
    ['a cause without a transport code', () => terminated(new Error('something else'))],
    ['an AbortError in the chain (the caller aborted)', () => terminated(new DOMException('aborted', 'AbortError'))],
    [
      'an AbortError next to a socket error',
      () => terminated(Object.assign(new DOMException('aborted', 'AbortError'), { cause: socketError() })),
    ],
    [
      "undici's RequestAbortedError (UND_ERR_ABORTED)",
      () => terminated(undiciError('AbortError', 'UND_ERR_ABORTED', 'Request aborted')),
    ],
    [
      'an abort known only by its code (UND_ERR_ABORTED) over a socket error',
      () =>
        terminated(
          Object.assign(new Error('Request aborted', { cause: socketError() }), {
            name: 'RequestAbortedError',
            code: 'UND_ERR_ABORTED',
          }),
        ),
    ],
    ['another message', () => new TypeError('Cannot read properties of undefined', { cause: socketError() })],
    ['not a TypeError', () => Object.assign(new Error('terminated', { cause: socketError() }), { name: 'RangeError' })],
    [
      'a bare ClientClosedError (the caller may have closed its own client)',
      () => undiciError('ClientClosedError', 'UND_ERR_CLOSED', 'The client is closed'),
    ],
  ])('%s -> not retried by any scope', (_label, make) => {
    const error = make();
    expect(shouldRetryOpenAIError(error)).toBe(false);
    expect(shouldRetryAzureError(error)).toBe(false);
    expect(shouldRetryNetworkError(error)).toBe(false);
    expect(classifyOpenAIError(error)).toBeUndefined();
    expect(classifyAzureError(error)).toBeUndefined();
  });
});

describe('the real openai SDK streaming from the fault server (stream-cut:0)', () => {
  let server: FaultServer;
  beforeEach(async () => {
    server = await startFaultServer({ script: ['stream-cut:0', 'stream-cut:0'] });
  });
  afterEach(async () => {
    await server.close();
  });

  const request = {
    model: 'gpt-4o',
    messages: [{ role: 'user' as const, content: 'hi' }],
    stream: true as const,
  };

  /** Reads the stream to its end; returns what the SDK threw. */
  async function failureOf(stream: AsyncIterable<unknown>): Promise<unknown> {
    try {
      for await (const chunk of stream) void chunk;
    } catch (error) {
      return error;
    }
    throw new Error('expected the stream to fail');
  }

  it.each<[string, () => OpenAI]>([
    ['OpenAI', () => new OpenAI({ apiKey: 'sk-test', baseURL: server.openaiBaseURL, maxRetries: 0 })],
    [
      'AzureOpenAI',
      () =>
        new AzureOpenAI({
          apiKey: 'azure-key',
          endpoint: server.azureEndpoint,
          apiVersion: '2024-10-21',
          deployment: 'gpt-4o',
          maxRetries: 0,
        }),
    ],
  ])('%s: the SDK throws TypeError: terminated, which every predicate retries', async (_label, client) => {
    const error = await failureOf(await client().chat.completions.create(request));

    expect(error).toMatchObject({ name: 'TypeError', message: 'terminated' });
    expect(classifyOpenAIError(error)).toEqual(network('UND_ERR_SOCKET'));
    expect(classifyAzureError(error)).toEqual(network('UND_ERR_SOCKET'));
    expect(shouldRetryOpenAIError(error)).toBe(true);
    expect(shouldRetryAzureError(error)).toBe(true);
    expect(shouldRetryNetworkError(error)).toBe(true);
  });
});
