import { inspect, type InspectOptions } from 'node:util';
import { classifyError } from '../../classification/classify-error';
import { BRANDS, hasBrand } from '../../internal/brands';
import { constructorName } from '../../internal/error-shape';

/**
 * The circuit of `key` is open (or half-open with its probes busy): the call failed at
 * once, without reaching the upstream. Safe to show; `retryAfterMs` says when a probe
 * will be let through.
 *
 * The failure that opened the circuit stays readable as `error.cause`, for programs, but no
 * rendering prints it (its message may echo a prompt or a key): `String(error)` and
 * `JSON.stringify(error)` never had it, and `util.inspect` / `console.error` show only its
 * class, kind and status (`cause: APIError (server, status 503)`).
 *
 * @example
 * ```ts
 * try {
 *   return await agent.complete(question); // @RetryOpenAI({ circuitBreaker: true })
 * } catch (error) {
 *   if (isCircuitOpenError(error)) return `Busy, try again in ${Math.ceil(error.retryAfterMs / 1000)} s`;
 *   throw error;
 * }
 * ```
 */
export class CircuitOpenError extends Error {
  /** @internal Brand checked by `isCircuitOpenError`. */
  readonly [BRANDS.circuitOpen] = true;
  constructor(
    /** The upstream key whose circuit is open. */
    readonly key: string,
    /** How long (ms) until the circuit lets a probe through. */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super('The service is temporarily unavailable', options);
    this.name = 'CircuitOpenError';
  }

  /**
   * What `util.inspect` and `console.error` print: name, message, stack frames, `key`,
   * `retryAfterMs` and a summary of the cause, never the cause itself.
   */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    const frames = (this.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
    const fields: Record<string, unknown> = { key: this.key, retryAfterMs: this.retryAfterMs };
    if (this.cause !== undefined) fields.cause = causeSummary(this.cause);
    const head = `${this.name}: ${this.message}${frames ? `\n${frames}` : ''}`;
    return `${head} ${inspect(fields, { ...options, customInspect: false, showHidden: false, getters: false })}`;
  }
}

/** `APIError (server, status 503)`: the class, kind and status of an error, no text of it. */
function causeSummary(cause: unknown): string {
  const { kind, status } = classifyError(cause);
  const name = constructorName(cause) ?? typeof cause;
  return `${name} (${kind}${status === undefined ? '' : `, status ${status}`})`;
}

/**
 * True for a `CircuitOpenError`, also one from another copy of the library (checked by a
 * brand, not `instanceof`).
 *
 * @example
 * ```ts
 * if (isCircuitOpenError(error)) res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000))).status(503).end();
 * ```
 */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return hasBrand(error, BRANDS.circuitOpen);
}
