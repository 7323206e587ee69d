import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { classifyError, classifyFacts } from '../../classification/classify-error';
import type { ErrorClassification } from '../../classification/failure-kind';
import { constructorName } from '../../internal/error-shape';
import { isAgentExecutionError } from '../../llm/agent-execution-error';
import { isSchemaValidationError, isStreamInterruptedError } from '../../llm/llm-errors';
import { isStreamEventError } from '../../strategies/stream-commit/stream-event-error';
import { isBulkheadRejectedError } from '../../strategies/bulkhead/bulkhead-rejected-error';
import { isCircuitOpenError } from '../../strategies/circuit-breaker/circuit-open-error';
import { isUpstreamThrottledError } from '../../strategies/rate-limit/upstream-throttled-error';
import { isAttemptTimeoutError, isRetryTimeoutError } from '../../strategies/timeout/timeout-errors';
import { RESILIENCE_EXCEPTION_FILTER_CONTEXT } from './resilience.constants';

/** What the filter answers: status, body (Nest's shape) and the `Retry-After` header when known. */
interface HttpAnswer {
  status: number;
  message: string;
  /** Seconds, for `Retry-After`. */
  retryAfterSeconds?: number;
  /** How the filter logs it: a one-line summary of the error, never its message. */
  log: 'warn' | 'error';
}

/** The fixed texts of the responses: never the error's own message (only `AgentExecutionError`'s safe one). */
const TEXT = {
  circuitOpen: 'The service is temporarily unavailable',
  throttled: 'The upstream service is rate limiting requests; try again later',
  bulkhead: 'The service is busy; try again later',
  timeout: 'The upstream service did not respond in time',
  auth: 'Upstream authentication failed',
  rateLimit: 'The upstream service is rate limiting requests; try again later',
  quota: 'The upstream service quota is exhausted',
  unreachable: 'The upstream service could not be reached',
  failed: 'The upstream service failed',
  rejected: 'The upstream service rejected the request',
  badAnswer: 'The upstream service returned an invalid answer',
  internal: 'Internal server error',
} as const;

/**
 * A Nest exception filter (`@Catch()`, every exception) that answers the library's errors,
 * and the provider errors it knows, the way an HTTP API should: 503 with `Retry-After` when
 * the LLM is unavailable for now, 502 when it failed or refused our credentials, 504 when it
 * timed out. The body has Nest's shape, `{ statusCode, error, message }`, and its message is
 * a fixed text (or the safe message of an `AgentExecutionError`): never the provider's
 * message, headers or request, which can echo a prompt or a key.
 *
 * | Exception | Status | `Retry-After` | `message` |
 * | --- | --- | --- | --- |
 * | `CircuitOpenError` | 503 | `ceil(retryAfterMs / 1000)` | The service is temporarily unavailable |
 * | `UpstreamThrottledError` | 503 | `ceil(retryAfterMs / 1000)` | The upstream service is rate limiting requests; try again later |
 * | `BulkheadRejectedError` | 503 | - | The service is busy; try again later |
 * | `RetryTimeoutError`, `AttemptTimeoutError` | 504 | - | The upstream service did not respond in time |
 * | `AgentExecutionError`, kind `rate_limit`, `circuit_open`, `server`, `timeout`, `network` | 503 | from its cause, when known | its safe message |
 * | `AgentExecutionError`, any other kind | 502 | - | its safe message |
 * | provider 401 / 403, a failed Azure credential or token provider | 502 | - | Upstream authentication failed |
 * | provider 429 (rate limit) | 503 | from the response's headers, when sent | The upstream service is rate limiting requests; try again later |
 * | provider 429 `insufficient_quota` | 503 | - | The upstream service quota is exhausted |
 * | provider 5xx, 409 | 502 | - | The upstream service failed |
 * | connection error (reset, refused, DNS...) | 502 | - | The upstream service could not be reached |
 * | provider 408, client-side timeout | 504 | - | The upstream service did not respond in time |
 * | provider 400, 404, 422, content filter, context length, other statuses | 502 | - | The upstream service rejected the request |
 * | a stream's failure event (`StreamEventError`): by its code as above; a code not in the table | 502 | - | The upstream service rejected the request |
 * | `SchemaValidationError`, `StreamInterruptedError` | 502 | - | The upstream service returned an invalid answer |
 * | Nest `HttpException` | unchanged | unchanged | unchanged (as Nest answers it) |
 * | an `http-errors` error (`statusCode` and `expose`) | its `statusCode` | - | as Nest answers it |
 * | anything else | 500 | - | Internal server error |
 *
 * Provider errors are those of the `openai` SDK (also `AzureOpenAI`'s), Azure `RestError`s,
 * `@azure/identity` credential errors, Node, undici, `fetch`, axios, got and ky errors (what
 * `classifyError` knows), and any error with a numeric `status` and `headers`.
 *
 * Every answer but an `HttpException`'s is logged in one line that names the error's class,
 * kind, status and request id, never its message (context `ResilienceExceptionFilter`; an
 * unknown exception is logged whole, as Nest does, under `ExceptionsHandler`). Outside HTTP
 * (RPC, WebSockets, GraphQL) the filter rethrows the exception, leaving it to Nest's handling.
 *
 * With `new ResilienceExceptionFilter()` it answers through Express's `res` (or Fastify's
 * `reply`); registered as a class (`APP_FILTER`, `@UseFilters(ResilienceExceptionFilter)`),
 * Nest gives it the app's `HttpAdapterHost` and it answers through the adapter.
 *
 * @example
 * ```ts
 * // main.ts: every route
 * app.useGlobalFilters(new ResilienceExceptionFilter());
 *
 * // or in a module: every route, with Nest's injection
 * @Module({ providers: [{ provide: APP_FILTER, useClass: ResilienceExceptionFilter }] })
 * export class AppModule {}
 *
 * // or one controller
 * @UseFilters(ResilienceExceptionFilter)
 * @Controller('chat')
 * export class ChatController {}
 * ```
 */
@Catch()
export class ResilienceExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(RESILIENCE_EXCEPTION_FILTER_CONTEXT);
  private readonly nestLogger = new Logger('ExceptionsHandler');

  /**
   * @param adapterHost - The app's `HttpAdapterHost` (`app.get(HttpAdapterHost)`); injected
   * when Nest creates the filter. Without it the filter answers through the platform's
   * response object (Express or Fastify).
   */
  constructor(@Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost) {}

  /** Answers `exception` on the HTTP response of `host` (see the class for the mapping). */
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response: unknown = host.getArgByIndex(1);

    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const status = exception.getStatus();
      this.reply(response, status, typeof body === 'object' ? body : { statusCode: status, message: body });
      return;
    }
    const httpError = httpErrorAnswer(exception);
    if (httpError) {
      this.reply(response, httpError.statusCode, httpError);
      return;
    }

    const answer = answerFor(exception);
    if (answer === undefined) {
      this.nestLogger.error(exception);
      this.reply(response, 500, body(500, TEXT.internal));
      return;
    }
    this.logger[answer.log](`${requestLine(host)} answered ${answer.status}: ${summary(exception)}`);
    const headers: Record<string, string> = {};
    if (answer.retryAfterSeconds !== undefined) headers['Retry-After'] = String(answer.retryAfterSeconds);
    this.reply(response, answer.status, body(answer.status, answer.message), headers);
  }

  private reply(response: unknown, status: number, payload: object, headers: Record<string, string> = {}): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) {
      if (adapter.isHeadersSent(response)) {
        adapter.end(response);
        return;
      }
      for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
      adapter.reply(response, payload, status);
      return;
    }
    replyWithoutAdapter(response as PlatformResponse, status, payload, headers);
  }
}

/** What Express's `res` and Fastify's `reply` offer (the filter uses whichever is there). */
interface PlatformResponse {
  headersSent?: boolean;
  sent?: boolean;
  end?: () => void;
  raw?: { end?: () => void };
  // Express
  setHeader?: (name: string, value: string) => void;
  status?: (status: number) => { json: (body: unknown) => void };
  // Fastify
  header?: (name: string, value: string) => void;
  code?: (status: number) => { send: (body: unknown) => void };
}

function replyWithoutAdapter(
  response: PlatformResponse,
  status: number,
  payload: object,
  headers: Record<string, string>,
): void {
  if (response.headersSent === true || response.sent === true) {
    if (typeof response.end === 'function') response.end();
    else response.raw?.end?.();
    return;
  }
  if (typeof response.code === 'function' && typeof response.header === 'function') {
    for (const [name, value] of Object.entries(headers)) response.header(name, value);
    response.code(status).send(payload);
    return;
  }
  if (typeof response.status === 'function' && typeof response.setHeader === 'function') {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(status).json(payload);
    return;
  }
  throw new TypeError(
    'ResilienceExceptionFilter: the response is neither an Express nor a Fastify one; ' +
      "give the filter the app's HttpAdapterHost: new ResilienceExceptionFilter(app.get(HttpAdapterHost))",
  );
}

/** Nest's body shape: `{ statusCode, error, message }`. */
function body(status: number, message: string): { statusCode: number; error: string; message: string } {
  return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
}

/** Whole seconds, rounded up, for `Retry-After`; `undefined` when there is no usable wait. */
function retryAfterSeconds(ms: number | undefined): number | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return undefined;
  return Math.max(0, Math.ceil(ms / 1000));
}

/** Kinds of failure that mean "unavailable for now": worth trying again later. */
const TRANSIENT_KINDS: ReadonlySet<string> = new Set(['rate_limit', 'circuit_open', 'server', 'timeout', 'network']);

/** The answer for the library's errors and the provider errors it knows; `undefined` for anything else. */
function answerFor(exception: unknown): HttpAnswer | undefined {
  if (isCircuitOpenError(exception) || isUpstreamThrottledError(exception)) {
    return {
      status: 503,
      message: isCircuitOpenError(exception) ? TEXT.circuitOpen : TEXT.throttled,
      retryAfterSeconds: retryAfterSeconds(exception.retryAfterMs),
      log: 'warn',
    };
  }
  if (isBulkheadRejectedError(exception)) return { status: 503, message: TEXT.bulkhead, log: 'warn' };
  if (isRetryTimeoutError(exception) || isAttemptTimeoutError(exception)) {
    return { status: 504, message: TEXT.timeout, log: 'warn' };
  }
  if (isAgentExecutionError(exception)) {
    const transient = TRANSIENT_KINDS.has(exception.kind);
    return {
      status: transient ? 503 : 502,
      message: exception.message,
      retryAfterSeconds: transient ? retryAfterSeconds(retryAfterMsOf(exception.originalError)) : undefined,
      log: transient ? 'warn' : 'error',
    };
  }
  if (isSchemaValidationError(exception) || isStreamInterruptedError(exception)) {
    return { status: 502, message: TEXT.badAnswer, log: 'error' };
  }
  const verdict = providerVerdict(exception);
  return verdict === undefined ? undefined : providerAnswer(verdict);
}

/** When the cause of an `AgentExecutionError` says the upstream may be asked again. */
function retryAfterMsOf(cause: unknown): number | undefined {
  if (isCircuitOpenError(cause) || isUpstreamThrottledError(cause)) return cause.retryAfterMs;
  return classifyError(cause).retryAfterMs;
}

/**
 * `classifyError`'s verdict on a provider error, or `undefined` when `exception` is not one:
 * a shape it does not know, without a status (an APIError-like `{ status, headers }` is one).
 */
function providerVerdict(exception: unknown): ErrorClassification | undefined {
  const verdict = classifyError(exception);
  if (verdict.kind !== 'unknown' && verdict.kind !== 'aborted') return verdict;
  // A stream's failure event with a code we do not know is still the upstream's failure.
  if (verdict.status !== undefined || isStreamEventError(exception)) return verdict;
  const { status, headers } = (typeof exception === 'object' && exception !== null ? exception : {}) as {
    status?: unknown;
    headers?: unknown;
  };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) return undefined;
  if (typeof headers !== 'object' || headers === null) return undefined;
  return classifyFacts({ source: 'openai', status, headers }, Date.now());
}

function providerAnswer(verdict: ErrorClassification): HttpAnswer {
  switch (verdict.kind) {
    case 'auth':
      return { status: 502, message: TEXT.auth, log: 'error' };
    case 'rate_limit':
      return {
        status: 503,
        message: TEXT.rateLimit,
        retryAfterSeconds: retryAfterSeconds(verdict.retryAfterMs),
        log: 'warn',
      };
    case 'quota_exhausted':
      return { status: 503, message: TEXT.quota, log: 'error' };
    case 'timeout':
      return { status: 504, message: TEXT.timeout, log: 'warn' };
    case 'network':
      return { status: 502, message: TEXT.unreachable, log: 'warn' };
    case 'server':
      return { status: 502, message: TEXT.failed, log: 'warn' };
    case 'circuit_open':
      return { status: 503, message: TEXT.circuitOpen, log: 'warn' };
    default:
      return { status: 502, message: TEXT.rejected, log: 'error' };
  }
}

/**
 * An error of the `http-errors` package (what Express middleware throws): Nest answers it with
 * its `statusCode`, and its message only when `expose` is true; so does the filter.
 */
function httpErrorAnswer(exception: unknown): { statusCode: number; message: string } | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { statusCode, expose, message } = exception as { statusCode?: unknown; expose?: unknown; message?: unknown };
  if (typeof expose !== 'boolean' || typeof statusCode !== 'number' || statusCode < 400 || statusCode > 599) {
    return undefined;
  }
  if (typeof message !== 'string') return undefined;
  return { statusCode, message: expose ? message : (STATUS_CODES[statusCode] ?? TEXT.internal) };
}

/** `APIError (auth, status 401, request req_123)`: what the log line says of an error, no text of it. */
function summary(exception: unknown): string {
  const name = constructorName(exception) ?? typeof exception;
  const verdict = classifyError(exception);
  const kind = isAgentExecutionError(exception) ? exception.kind : verdict.kind;
  const details = [kind, verdict.status === undefined ? undefined : `status ${verdict.status}`];
  if (verdict.requestId !== undefined) details.push(`request ${verdict.requestId}`);
  return `${name} (${details.filter(Boolean).join(', ')})`;
}

/** `POST /chat`: the method and path of the request (no query string, which may carry data). */
function requestLine(host: ArgumentsHost): string {
  const request = host.getArgByIndex(0) as { method?: unknown; url?: unknown } | undefined;
  const method = typeof request?.method === 'string' ? request.method : '?';
  const url = typeof request?.url === 'string' ? request.url.replace(/[?#].*$/s, '') : '?';
  return `${method} ${url}`;
}
