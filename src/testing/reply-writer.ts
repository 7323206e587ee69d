import type * as http from 'node:http';
import type { Socket } from 'node:net';

import {
  authError,
  contentFilterError,
  contextLengthError,
  failedCodeError,
  quotaError,
  rateLimitError,
  serverError,
  type ErrorReply,
} from './error-bodies';
import type { Fault } from './fault-spec';
import type { ApiReply } from './replies';
import { SSE_HEADERS } from './sse';
import { streamSteps, type Step } from './stream-script';
import type { TimerSet } from './timer-set';

/**
 * Writing a reply under its fault: error statuses, resets and hangs, and the faults about
 * the body (a stream cut, ended early or paused; a JSON body cut, malformed or paused).
 */

/**
 * After the last bytes before a cut are flushed, wait this long before destroying the
 * socket. A client's fetch body is a WHATWG stream, and erroring one drops whatever is
 * still queued in it: without the pause, data and FIN can arrive together and the client
 * may see the error without the chunks that preceded it, so "cut after N chunks" would
 * not be deterministic.
 */
const CUT_DELAY_MS = 10;

/** The fault of a plain reply. */
const OK: Fault = { kind: 'ok', spec: 'ok' };

/** One request being answered. */
export interface ReplyContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** Headers every reply carries (`x-request-id`, rate-limit headers). */
  headers: Record<string, string>;
  /** What the endpoint answers. */
  reply: ApiReply;
  /** The key the client sent (for the masked 401 message). */
  apiKey: string | undefined;
}

/** What the writer needs from the server. */
export interface WriterDeps {
  /** The server's timers (cleared by `close()`). */
  timers: TimerSet;
  /** Whether `close()` was called: streams stop writing. */
  isClosed(): boolean;
  /** Runs part of a reply; a throw becomes a 500 or a closed socket. */
  guarded(res: http.ServerResponse, run: () => void): void;
}

/** The function that answers a request whose fault is decided. */
export function createReplyWriter(deps: WriterDeps): (fault: Fault, ctx: ReplyContext) => void {
  const { timers, guarded } = deps;

  function apply(fault: Fault, ctx: ReplyContext): void {
    const error = (reply: ErrorReply) =>
      sendJson(ctx.res, reply.status, reply.body, { ...ctx.headers, ...reply.headers });
    switch (fault.kind) {
      case 'ok':
        return replyOk(ctx);
      case 'slow':
        return pause(ctx, fault.delayMs, () => replyOk(ctx));
      case 'rate-limit':
        return error(rateLimitError(fault.retryAfterMs));
      case 'quota':
        return error(quotaError());
      case 'server-error':
        return error(serverError(fault.status));
      case 'auth':
        return error(authError(ctx.apiKey));
      case 'content-filter':
        return error(contentFilterError());
      case 'context-length':
        return error(contextLengthError());
      case 'reset':
        return resetSocket(ctx.req.socket);
      case 'hang':
        // Nothing: the client gives up (timeout, abort) or close() destroys the socket.
        return;
    }
    // The faults about the body: the stream's shape, or what a JSON reply makes of them.
    if (ctx.reply.stream) return streamReply(ctx, fault);
    switch (fault.kind) {
      case 'stream-cut':
        return cutJsonReply(ctx);
      case 'malformed-json':
        return malformedJsonReply(ctx);
      case 'response-failed':
        return ctx.reply.faultJson(fault) === undefined
          ? error(failedCodeError(fault.code))
          : sendJson(ctx.res, 200, ctx.reply.faultJson(fault), ctx.headers);
      case 'error-event':
        return error(serverError(500));
      case 'quota-stream':
        return error(quotaError());
      case 'incomplete':
        return sendJson(ctx.res, 200, ctx.reply.faultJson(fault) ?? ctx.reply.json(), ctx.headers);
      case 'stall-first':
      case 'stall':
        return stalledJsonReply(ctx, fault.delayMs, fault.kind === 'stall');
    }
  }

  /** Runs `then` after `ms`, unless the client went away first. */
  function pause(ctx: ReplyContext, ms: number, then: () => void): void {
    const cancel = timers.timeout(ms, () => guarded(ctx.res, then));
    ctx.res.on('close', cancel);
  }

  function replyOk(ctx: ReplyContext): void {
    if (ctx.reply.stream) return streamReply(ctx, OK);
    sendJson(ctx.res, 200, ctx.reply.json(), ctx.headers);
  }

  /** Streams the reply one event per event-loop turn, shaped by the fault (cut, ended early, paused). */
  function streamReply(ctx: ReplyContext, fault: Fault): void {
    const { steps, cut } = streamSteps(ctx.reply.stream!, fault);
    ctx.res.writeHead(200, { ...ctx.headers, ...SSE_HEADERS });
    ctx.res.flushHeaders();
    writeSteps(ctx, steps, cut);
  }

  function writeSteps(ctx: ReplyContext, steps: Step[], cut: boolean): void {
    const finishStream = (): void => {
      if (cut) cutLater(ctx);
      else ctx.res.end();
    };
    const step = (index: number): void => {
      if (deps.isClosed() || ctx.res.destroyed) return;
      if (index >= steps.length) return finishStream();
      const current = steps[index];
      if (typeof current !== 'string') return pause(ctx, current.pauseMs, () => step(index + 1));
      if (index === steps.length - 1) {
        ctx.res.write(current, finishStream);
        return;
      }
      ctx.res.write(current);
      // One event per turn: the client sees a stream, and close() or an abort can stop it midway.
      timers.immediate(() => guarded(ctx.res, () => step(index + 1)));
    };
    step(0);
  }

  function cutLater(ctx: ReplyContext): void {
    timers.timeout(CUT_DELAY_MS, () => ctx.req.socket.destroy());
  }

  /** Headers with the full Content-Length, half the body, then a cut. */
  function cutJsonReply(ctx: ReplyContext): void {
    const text = JSON.stringify(ctx.reply.json());
    ctx.res.writeHead(200, {
      ...ctx.headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    });
    ctx.res.write(text.slice(0, Math.floor(text.length / 2)), () => cutLater(ctx));
  }

  /** Headers at once, then (after half the body when `midway`) `ms` of silence, then the rest. */
  function stalledJsonReply(ctx: ReplyContext, ms: number, midway: boolean): void {
    const text = JSON.stringify(ctx.reply.json());
    const half = midway ? Math.floor(text.length / 2) : 0;
    ctx.res.writeHead(200, {
      ...ctx.headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    });
    if (half > 0) ctx.res.write(text.slice(0, half));
    else ctx.res.flushHeaders();
    pause(ctx, ms, () => {
      ctx.res.end(text.slice(half));
    });
  }

  /** A complete 200 response whose body is JSON cut short (valid HTTP, invalid JSON). */
  function malformedJsonReply(ctx: ReplyContext): void {
    const text = JSON.stringify(ctx.reply.json());
    sendRaw(ctx.res, 200, text.slice(0, Math.floor(text.length / 2)), {
      ...ctx.headers,
      'content-type': 'application/json',
    });
  }

  return apply;
}

/** A JSON reply with its Content-Length (nothing when the response is gone or already under way). */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  sendRaw(res, status, JSON.stringify(body), { ...headers, 'content-type': 'application/json' });
}

/** A complete reply with this text as its body. */
export function sendRaw(res: http.ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** A TCP RST when the platform supports it (what "connection reset by peer" really is), else a plain close. */
export function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
