/** A transient failure the generic `@Retry` tests retry (shouldRetry: isTransient). */
export class TransientError extends Error {
  constructor(message = 'transient') {
    super(message);
    this.name = 'TransientError';
  }
}

export class FatalError extends Error {
  constructor(message = 'fatal') {
    super(message);
    this.name = 'FatalError';
  }
}

export const isTransient = (error: unknown): boolean => error instanceof TransientError;

/** A Node-style connection reset, as `net` reports it. */
export function connectionReset(): NodeJS.ErrnoException {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' });
}
