import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import type { ReplyMeta } from './completion';
import { embeddingDimensions, embeddingInputs } from './embeddings';
import {
  apiKeyOf,
  bodyTooLargeError,
  describeThrown,
  internalError,
  invalidBodyError,
  invalidFaultError,
  invalidRequestError,
  invalidUrlError,
  notFoundError,
  rateLimitError,
  responseNotFoundError,
  type ErrorReply,
} from './error-bodies';
import { FaultSchedule } from './fault-schedule';
import {
  DEFAULT_RANDOM_FAULTS,
  invalidSpecMessage,
  parseFaultSpec,
  parseFaultSpecs,
  type Fault,
  type FaultSpec,
} from './fault-spec';
import { rateLimitHeaders } from './rate-limit-headers';
import {
  chatReply,
  embeddingsReply,
  modelsReply,
  responsesReply,
  retrieveReply,
  ResponseStore,
  type ApiReply,
} from './replies';
import { declaredTooLarge, readBody } from './request-body';
import { parseRequestTarget } from './request-target';
import { matchRoute, providerOfPath, type FaultApi, type Provider, type Route } from './routes';
import { createReplyWriter, sendJson } from './reply-writer';
import { onClientError, onConnect } from './socket-replies';
import { TimerSet } from './timer-set';
import { TokenBucket, validateRateLimit, type RateLimitOptions } from './token-bucket';

/**
 * The options of `startFaultServer`: every field optional. Faults come from `faultFor`,
 * then the `script`, then random mode (`faultRate` of requests draw from `faults`).
 *
 * @example
 * ```ts
 * const server = await startFaultServer({ script: ['429', '503', 'ok'], faultRate: 0.1, seed: 42 });
 * ```
 */
export interface FaultServerOptions {
  /**
   * Request i gets `script[i]`; once used up, random mode (all `ok` unless `faultRate` is set).
   * @default []
   */
  script?: readonly FaultSpec[];
  /**
   * Share of requests, in [0, 1], that get a fault drawn uniformly from `faults` (after the script).
   * @default 0
   */
  faultRate?: number;
  /**
   * What random mode draws from.
   * @default ['429', '500', '503', 'reset']
   */
  faults?: readonly FaultSpec[];
  /**
   * Seed of random mode's PRNG (an integer); the same seed gives the same fault sequence.
   * @default 1
   */
  seed?: number;
  /**
   * A token bucket in front of everything (checked before the script, and a refused
   * request uses no script entry): `burst` requests at once, refilled at `rps` per second.
   * With it, every response carries OpenAI's `x-ratelimit-*-requests` headers.
   */
  rateLimit?: RateLimitOptions;
  /**
   * Port on 127.0.0.1; 0 means a free port chosen by the OS.
   * @default 0
   */
  port?: number;
  /** Called for each request once its fault is decided (the CLI logs with it). Errors are ignored. */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * Decides a request's fault from the request itself, before the script and random
   * mode: return a fault spec, or `undefined` to leave the request to them (a decided
   * request uses no script entry and no PRNG draw). For soaks that give each logical call
   * its own fault plan (keyed by a tag in the prompt): with concurrent calls, which call
   * gets the script's or the PRNG's i-th fault depends on arrival order. A spec that is
   * not valid, or a throw, answers a 400 `invalid_fault_spec` recorded as `'invalid-fault'`
   * (a 400 is not retried, so the mistake shows up at once).
   */
  faultFor?: (request: FaultRequest) => FaultSpec | undefined;
  /**
   * The largest request body read, in bytes (a positive integer). A larger declared
   * `content-length` is answered 413 at once, without reading the body; a chunked body is
   * counted as it streams and answered 413 the moment it passes the limit. Nothing beyond
   * the limit is buffered, and the connection is closed after the 413. Recorded as
   * `'too-large'`.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * How many requests `FaultServer.requests` keeps (a positive integer): past it, the
   * oldest entry is dropped for each new one, so a long soak or a CLI server left running
   * does not grow without bound. Also how many background responses are kept for
   * `GET /v1/responses/{id}`.
   * @default 10000
   */
  recordLimit?: number;
}

/** The default of `FaultServerOptions.maxBodyBytes`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
/** The default of `FaultServerOptions.recordLimit`. */
export const DEFAULT_RECORD_LIMIT = 10_000;

/** What `faultFor` sees of a request: everything recorded but the fault. */
export type FaultRequest = Readonly<Omit<RecordedRequest, 'fault' | 'body'>> & {
  /**
   * The parsed JSON body: always an object here (other bodies are answered with a 400
   * first); `{}` for the `GET`s (`models`, `retrieve`).
   */
  readonly body: Record<string, unknown>;
};

/**
 * One request the fault server received, as listed in `FaultServer.requests` and passed to
 * `onRequest`.
 *
 * @example
 * ```ts
 * const [first] = server.requests;
 * expect(first).toMatchObject({ method: 'POST', provider: 'openai', fault: '429' });
 * ```
 */
export interface RecordedRequest {
  /** The HTTP method, e.g. `POST`. */
  method: string;
  /**
   * Path without the query, e.g. `/openai/deployments/gpt-4o/chat/completions`; the raw
   * request target when it is no path (`*`, recorded as `'invalid-url'`).
   */
  path: string;
  /** Query parameters, e.g. `{ 'api-version': '2024-10-21' }`. */
  query: Record<string, string>;
  /** As Node parsed them: lower-case names (`authorization`, `api-key`, ...). */
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or `undefined` when there was none, it was not JSON or was too large. */
  body: unknown;
  /** Which API the path belongs to: `'azure'` under `/openai/`, else `'openai'`. */
  provider: Provider;
  /**
   * Which endpoint answered: `'chat'`, `'responses'`, `'retrieve'` (`GET /v1/responses/{id}`),
   * `'embeddings'` or `'models'`. Absent when none did (`'not-found'`, `'invalid-url'`, and
   * `'too-large'` bodies to an unknown path).
   */
  api?: FaultApi;
  /** The response id of a `retrieve`. */
  responseId?: string;
  /** The Azure deployment from the path (absent for OpenAI and Azure's `/openai/v1`). */
  deployment?: string;
  /**
   * What the server did: a fault spec (`'ok'`, `'429'`, `'slow:20'`, ...), or
   * `'rate-limited'` (refused by `rateLimit`), `'not-found'` (no such endpoint),
   * `'invalid-url'` (a request target that is no path: 400), `'too-large'` (a body above
   * `maxBodyBytes`: 413), `'invalid-body'` (the body was not a JSON object),
   * `'invalid-fault'` (`faultFor` returned no valid spec), `'invalid-request'` (a request
   * the API refuses: embeddings without a valid `input` or `dimensions`, a `starting_after`
   * that is no integer: 400), `'internal-error'` (the server failed on the request: 500).
   * A `retrieve` of an id the server does not keep is a 404 recorded as `'not-found'`. Only
   * fault specs not decided by `faultFor` use script entries.
   */
  fault: string;
  /** `Date.now()` when the request body had arrived (or was refused as too large). */
  at: number;
  /** The `x-request-id` the response carried (or would have, for `reset` and `hang`). */
  requestId: string;
}

/**
 * A running fault server, as `startFaultServer` resolves it. Point an SDK client at it,
 * look at what it received, and close it when done.
 *
 * @example
 * ```ts
 * const server = await startFaultServer({ script: ['429', 'ok'] });
 * const client = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
 * // ... call a decorated method that uses `client` ...
 * expect(server.requests.map((r) => r.fault)).toEqual(['429', 'ok']);
 * await server.close();
 * ```
 */
export interface FaultServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `url + '/v1'`: `new OpenAI({ baseURL: server.openaiBaseURL })`. */
  readonly openaiBaseURL: string;
  /** `url`: `new AzureOpenAI({ endpoint: server.azureEndpoint, apiVersion, deployment })`. */
  readonly azureEndpoint: string;
  /** The port it listens on (the one chosen by the OS when `port` was 0). */
  readonly port: number;
  /**
   * The requests so far, in arrival order, at most `recordLimit` of them (the oldest are
   * dropped); the same array grows as requests arrive. HTTP that Node cannot parse and
   * `CONNECT` are answered (400 / 431 / 405) but not recorded.
   */
  readonly requests: RecordedRequest[];
  /** Replaces the script and restarts from its first entry. Throws on an invalid spec. */
  setScript(faults: readonly FaultSpec[]): void;
  /** Ends every socket (hanging and streaming ones too), stops listening, clears timers. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an OpenAI / Azure OpenAI compatible server on 127.0.0.1 (chat completions, the
 * Responses API with background responses, embeddings, models) that injects faults by
 * script or at random. Rejects (before listening) on invalid options,
 * naming the bad value.
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 * import { startFaultServer } from 'llm-resilience/testing';
 *
 * const server = await startFaultServer({ script: ['429', '503'] }); // then 'ok'
 * const client = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
 * try {
 *   await agent.complete('hello'); // @RetryOpenAI() retries through both faults
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const settings = resolveOptions(options);
  const schedule = new FaultSchedule(settings);
  const bucket = settings.rateLimit ? new TokenBucket(settings.rateLimit) : undefined;
  const timers = new TimerSet();
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const store = new ResponseStore(settings.recordLimit);
  const apply = createReplyWriter({ timers, isClosed: () => closed, guarded });
  let requestCount = 0;
  let closed = false;

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // A client that goes away mid-reply is part of the job here, not a server error.
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    readBody(req, settings.maxBodyBytes, (raw) => guarded(res, () => handle(req, res, raw)));
  };
  const server = http.createServer(onRequest);
  // `Expect: 100-continue` with a body above the limit: a 413 instead of the go-ahead.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!declaredTooLarge(req, settings.maxBodyBytes)) res.writeContinue();
    onRequest(req, res);
  });
  server.on('clientError', onClientError);
  server.on('connect', onConnect);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  /**
   * Runs part of a reply; a throw becomes a 500 (or, once headers are out, a closed
   * socket) instead of an uncaught exception that would end the process.
   */
  function guarded(res: http.ServerResponse, run: () => void): void {
    try {
      run();
    } catch (error) {
      failed(res, error);
    }
  }

  function failed(res: http.ServerResponse, error: unknown): void {
    try {
      const reply = internalError(describeThrown(error));
      sendJson(res, reply.status, reply.body, { connection: 'close' });
    } catch {
      // Sending failed too: nothing more to say on this connection.
    }
    if (!res.writableEnded) res.destroy();
  }

  /** `raw` is `undefined` when the body was above `maxBodyBytes`. */
  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer | undefined): void {
    if (closed) return;
    requestCount += 1;
    const requestId = `req_${requestCount}`;
    const method = req.method ?? 'GET';
    const target = parseRequestTarget(req.url ?? '/');
    const path = target?.path ?? req.url ?? '';
    const route = target && matchRoute(method, target.path);
    const body = raw === undefined ? undefined : parseJson(raw);
    const record: RecordedRequest = {
      method,
      path,
      query: target?.query ?? {},
      headers: req.headers,
      body,
      provider: route?.provider ?? providerOfPath(path),
      ...(route ? { api: route.api } : {}),
      ...(route?.deployment === undefined ? {} : { deployment: route.deployment }),
      ...(route?.responseId === undefined ? {} : { responseId: route.responseId }),
      fault: 'ok',
      at: Date.now(),
      requestId,
    };
    const headers: Record<string, string> = { 'x-request-id': requestId };
    let recorded = false;
    const finish = (fault: string, reply?: ErrorReply): void => {
      record.fault = fault;
      recorded = true;
      requests.push(record);
      if (requests.length > settings.recordLimit) requests.splice(0, requests.length - settings.recordLimit);
      try {
        settings.onRequest?.(record);
      } catch {
        // An observer must not break the server.
      }
      if (reply) sendJson(res, reply.status, reply.body, { ...headers, ...reply.headers });
    };
    const peekRateLimit = (): void => {
      if (bucket && settings.rateLimit) Object.assign(headers, rateLimitHeaders(settings.rateLimit, bucket.peek()));
    };
    const respond = (): void => {
      if (raw === undefined) {
        peekRateLimit();
        const reply = bodyTooLargeError(settings.maxBodyBytes);
        // The rest of the body is not read: the connection cannot carry another request.
        return finish('too-large', { ...reply, headers: { connection: 'close' } });
      }
      if (!target) {
        peekRateLimit();
        return finish('invalid-url', invalidUrlError(method, path));
      }
      if (!route) {
        peekRateLimit();
        return finish('not-found', notFoundError(method, path));
      }
      if (bucket && settings.rateLimit) {
        const state = bucket.take();
        Object.assign(headers, rateLimitHeaders(settings.rateLimit, state));
        if (!state.allowed) {
          return finish(
            'rate-limited',
            rateLimitError(state.retryAfterMs, Number(headers['x-ratelimit-limit-requests'])),
          );
        }
      }
      const isGet = method === 'GET';
      if (!isGet && !isObject(body)) return finish('invalid-body', invalidBodyError());
      const json = isObject(body) ? body : {};
      const problem = checkRequest(route, json, record.query);
      if (problem) return finish(problem.fault, problem.reply);

      const { fault: _undecided, ...seen } = record;
      const decided = decideFault({ ...seen, body: json });
      if (typeof decided === 'string') return finish('invalid-fault', invalidFaultError(decided));
      const fault = decided ?? schedule.next();
      finish(fault.spec);
      const reply = buildReply(route, json, record.query, fault, requestCount);
      apply(fault, { req, res, headers, reply, apiKey: apiKeyOf(req.headers) });
    };
    try {
      respond();
    } catch (error) {
      // Once recorded, a reply may be under way: `guarded` sends the 500 or closes the socket.
      if (recorded) throw error;
      finish('internal-error', { ...internalError(describeThrown(error)), headers: { connection: 'close' } });
    }
  }

  /** A request the API itself refuses (before any fault), or `undefined`. */
  function checkRequest(
    route: Route,
    body: Record<string, unknown>,
    query: Record<string, string>,
  ): { fault: string; reply: ErrorReply } | undefined {
    if (route.api === 'embeddings') {
      const inputs = embeddingInputs(body);
      if (typeof inputs === 'string') return { fault: 'invalid-request', reply: invalidRequestError(inputs, 'input') };
      const dimensions = embeddingDimensions(body);
      if (typeof dimensions === 'string') {
        return { fault: 'invalid-request', reply: invalidRequestError(dimensions, 'dimensions') };
      }
    }
    if (route.api === 'retrieve') {
      const after = query.starting_after;
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        const message = `Invalid 'starting_after': expected an integer, got ${JSON.stringify(after.slice(0, 50))}.`;
        return { fault: 'invalid-request', reply: invalidRequestError(message, 'starting_after') };
      }
      if (!store.get(route.responseId ?? '')) {
        return { fault: 'not-found', reply: responseNotFoundError(route.responseId ?? '') };
      }
    }
    return undefined;
  }

  /** What the endpoint answers (`ok`, and the shapes its faults take); keeps background responses. */
  function buildReply(
    route: Route,
    body: Record<string, unknown>,
    query: Record<string, string>,
    fault: Fault,
    n: number,
  ): ApiReply {
    const stream = body.stream === true;
    const model = route.deployment ?? (typeof body.model === 'string' ? body.model : 'unknown');
    const created = Math.floor(Date.now() / 1000);
    switch (route.api) {
      case 'chat': {
        const meta: ReplyMeta = { id: `chatcmpl-${n}`, model, created };
        return chatReply(meta, body, stream);
      }
      case 'responses': {
        const meta = {
          id: `resp_${n}`,
          itemId: `msg_${n}`,
          model,
          createdAt: created,
          background: body.background === true,
        };
        const { reply, stored } = responsesReply(meta, body, stream, fault);
        if (stored) store.set(stored);
        return reply;
      }
      case 'retrieve': {
        const after = query.starting_after === undefined ? undefined : Number(query.starting_after);
        return retrieveReply(store.get(route.responseId ?? '')!, query.stream === 'true', after);
      }
      case 'embeddings':
        return embeddingsReply(body, model, embeddingInputs(body) as string[], embeddingDimensions(body) as number);
      case 'models':
        return modelsReply();
    }
  }

  /** `faultFor`'s verdict: a fault, `undefined` (the schedule decides), or what went wrong. */
  function decideFault(request: FaultRequest): Fault | string | undefined {
    if (settings.faultFor === undefined) return undefined;
    let spec: unknown;
    try {
      spec = settings.faultFor(request);
    } catch (error) {
      return `it threw ${describeThrown(error)}`;
    }
    if (spec === undefined) return undefined;
    return parseFaultSpec(spec) ?? invalidSpecMessage(spec, 'faultFor');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, a server error (an accept failing, e.g. out of file descriptors) must
  // not become an uncaught exception: the server keeps serving the connections it can.
  server.on('error', () => undefined);
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    azureEndpoint: url,
    port,
    requests,
    setScript(faults) {
      schedule.setScript(parseFaultSpecs(faults, 'setScript(faults)'));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        timers.clearAll();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

interface ResolvedOptions {
  script: Fault[];
  faultRate: number;
  faults: Fault[];
  seed: number;
  rateLimit?: RateLimitOptions;
  port: number;
  onRequest?: (request: RecordedRequest) => void;
  faultFor?: (request: FaultRequest) => FaultSpec | undefined;
  maxBodyBytes: number;
  recordLimit: number;
}

/** Validates everything up front so a bad option fails the setup, naming the value. */
function resolveOptions(options: FaultServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('startFaultServer options must be an object');
  const faultRate = options.faultRate ?? 0;
  if (typeof faultRate !== 'number' || !(faultRate >= 0 && faultRate <= 1)) {
    throw new RangeError(`faultRate must be a number in [0, 1], got ${String(faultRate)}`);
  }
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer in [0, 65535], got ${String(port)}`);
  }
  const faults = parseFaultSpecs(options.faults ?? DEFAULT_RANDOM_FAULTS, 'faults');
  if (faultRate > 0 && faults.length === 0) throw new RangeError('faults must not be empty when faultRate is above 0');
  if (options.onRequest !== undefined && typeof options.onRequest !== 'function') {
    throw new TypeError('onRequest must be a function');
  }
  if (options.faultFor !== undefined && typeof options.faultFor !== 'function') {
    throw new TypeError('faultFor must be a function');
  }
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const recordLimit = positiveInteger(options.recordLimit ?? DEFAULT_RECORD_LIMIT, 'recordLimit');
  return {
    script: parseFaultSpecs(options.script ?? [], 'script'),
    faultRate,
    faults,
    seed,
    rateLimit: options.rateLimit === undefined ? undefined : validateRateLimit(options.rateLimit),
    port,
    onRequest: options.onRequest,
    faultFor: options.faultFor,
    maxBodyBytes,
    recordLimit,
  };
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
