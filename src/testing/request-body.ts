import type { IncomingMessage } from 'node:http';

/**
 * Reading a request body with a size limit: the fault server must not buffer whatever a
 * client sends (a 150 MB body once took it from 51 to 503 MB).
 */

/** The `content-length` a request declares, or `undefined` (chunked, absent). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return typeof header === 'string' && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
}

/** Whether the declared `content-length` is already above the limit: answered 413 without reading. */
export function declaredTooLarge(req: IncomingMessage, maxBodyBytes: number): boolean {
  const length = declaredLength(req);
  return length !== undefined && length > maxBodyBytes;
}

/**
 * Calls `done` once: with the whole body, or with `undefined` when it is larger than
 * `maxBodyBytes`. A declared length above the limit is refused before a byte is read; a
 * chunked body is counted as it streams and refused the moment it passes the limit: what
 * was buffered is dropped, and later chunks are discarded as they come (the stream keeps
 * flowing until the server closes the connection, so memory stays flat). A client that
 * disconnects mid-body ends nothing: `done` is not called.
 */
export function readBody(req: IncomingMessage, maxBodyBytes: number, done: (raw: Buffer | undefined) => void): void {
  if (declaredTooLarge(req, maxBodyBytes)) {
    done(undefined);
    return;
  }
  let chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > maxBodyBytes) {
      refused = true;
      chunks = [];
      done(undefined);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!refused) done(Buffer.concat(chunks, size));
  });
}
