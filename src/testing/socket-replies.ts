import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

import { malformedRequestError, methodNotAllowedError, type ErrorReply } from './error-bodies';

/**
 * Answers written straight to the socket, for what never reaches the request handler:
 * HTTP that Node's parser refused (`clientError`) and `CONNECT` (Node would otherwise
 * just drop the connection). Each is a complete response with `connection: close`, then
 * the socket is closed once it is flushed.
 */

/** A whole HTTP/1.1 response carrying a JSON error body. */
export function rawErrorResponse(reply: ErrorReply): string {
  const text = JSON.stringify(reply.body);
  return (
    `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\n` +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(text)}\r\n` +
    'connection: close\r\n\r\n' +
    text
  );
}

/**
 * The server's `clientError` listener. Like Node's own default, it answers only when
 * nothing was written on the socket yet (else a response may be half sent) and the
 * socket can still be written; otherwise it closes it. Never throws.
 */
export function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const written = (socket as Partial<Socket>).bytesWritten ?? 0;
  if (error.code === 'ECONNRESET' || !socket.writable || written > 0) {
    socket.destroy();
    return;
  }
  endWith(socket, malformedRequestError(error.code));
}

/** The server's `connect` listener: a 405, then the socket closes. */
export function onConnect(req: IncomingMessage, socket: Duplex): void {
  endWith(socket, methodNotAllowedError(req.method ?? 'CONNECT', req.url ?? ''));
}

function endWith(socket: Duplex, reply: ErrorReply): void {
  socket.on('error', () => undefined);
  socket.end(rawErrorResponse(reply), () => socket.destroy());
}
