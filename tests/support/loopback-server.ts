import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A tiny scripted HTTP server on 127.0.0.1 for tests that drive the real SDKs.
 *
 * Each request is answered by a `LoopbackReply` that the test chooses: a status with
 * headers and a body, a socket reset before any byte is written, a response cut
 * mid-body, or a hang (no answer until the client gives up or the server closes).
 * `close()` destroys every socket, including hanging ones, so jest sees no open handles.
 */

export type HeaderValues = Record<string, string | number | readonly string[]>;

export type LoopbackReply =
  /** A complete response. `json` is serialised (and sets content-type); `body` is sent as is. */
  | { kind: 'respond'; status: number; headers?: HeaderValues; json?: unknown; body?: string }
  /** Destroy the socket without writing anything: the client sees ECONNRESET / "socket hang up". */
  | { kind: 'reset' }
  /** Send the status line, headers and `partialBody`, then destroy the socket (a stream cut mid-body). */
  | { kind: 'cut'; status: number; headers?: HeaderValues; partialBody: string }
  /** Never answer; the socket is destroyed by the client or by `close()`. */
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions?api-version=2024-10-21`. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Set when the client closed the connection before the reply was complete (an aborted attempt). */
  closedBeforeReply: boolean;
}

/** Chooses the reply; `index` counts requests from 0. */
export type LoopbackHandler = (request: RecordedRequest, index: number) => LoopbackReply | Promise<LoopbackReply>;

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request received so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Stops listening and destroys every open socket. Safe to call twice. */
  close(): Promise<void>;
}

/** Builders for the common replies. */
export const reply = {
  json(status: number, json: unknown, headers: HeaderValues = {}): LoopbackReply {
    return { kind: 'respond', status, headers, json };
  },
  status(status: number, headers: HeaderValues = {}, body = ''): LoopbackReply {
    return { kind: 'respond', status, headers, body };
  },
  reset(): LoopbackReply {
    return { kind: 'reset' };
  },
  cut(status: number, partialBody: string, headers: HeaderValues = {}): LoopbackReply {
    return { kind: 'cut', status, headers, partialBody };
  },
  hang(): LoopbackReply {
    return { kind: 'hang' };
  },
} as const;

/** A handler answering request `i` with `replies[i]`, and the last reply after the script ends. */
export function scripted(replies: readonly LoopbackReply[]): LoopbackHandler {
  return (_request, index) => replies[Math.min(index, replies.length - 1)];
}

export async function startLoopbackServer(handler: LoopbackHandler | LoopbackReply): Promise<LoopbackServer> {
  const choose: LoopbackHandler = typeof handler === 'function' ? handler : () => handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        closedBeforeReply: false,
      };
      res.on('close', () => {
        if (!res.writableEnded) recorded.closedBeforeReply = true;
      });
      const index = requests.push(recorded) - 1;
      Promise.resolve()
        .then(() => choose(recorded, index))
        .then(
          (chosen) => answer(chosen, req, res),
          () => answer({ kind: 'respond', status: 500, body: 'loopback handler threw' }, req, res),
        );
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * A `http://127.0.0.1:<port>` URL where nothing listens (connections are refused):
 * binds a free port, then releases it. Another process could in theory grab the port
 * in between; on a test machine that is rare enough.
 */
export async function closedPortUrl(): Promise<string> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function answer(chosen: LoopbackReply, req: http.IncomingMessage, res: http.ServerResponse): void {
  switch (chosen.kind) {
    case 'reset':
      req.socket.destroy();
      return;
    case 'hang':
      return;
    case 'cut':
      res.writeHead(chosen.status, toHeaderList(chosen.headers));
      res.flushHeaders();
      res.write(chosen.partialBody, () => {
        // Let the written bytes leave before the reset so the client sees a cut body, not a refused request.
        setImmediate(() => req.socket.destroy());
      });
      return;
    case 'respond': {
      const headers = toHeaderList(chosen.headers);
      let body = chosen.body ?? '';
      if (chosen.json !== undefined) {
        body = JSON.stringify(chosen.json);
        if (!hasHeader(chosen.headers, 'content-type')) headers['content-type'] = 'application/json';
      }
      headers['content-length'] = String(Buffer.byteLength(body));
      res.writeHead(chosen.status, headers);
      res.end(body);
      return;
    }
  }
}

function toHeaderList(headers: HeaderValues | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name] = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value];
  }
  return out;
}

function hasHeader(headers: HeaderValues | undefined, name: string): boolean {
  return Object.keys(headers ?? {}).some((key) => key.toLowerCase() === name);
}
