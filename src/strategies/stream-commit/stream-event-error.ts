import { ruleForStreamEventCode } from '../../classification/status-table';
import { BRANDS, hasBrand } from '../../internal/brands';

const BRAND: typeof BRANDS.streamEvent = BRANDS.streamEvent;

/** Stream events that end a response with a failure. */
export type FailureEventType = 'response.failed' | 'error' | 'response.incomplete';

/** A code we quote: a plain token, never free text from the provider. */
const CODE_TOKEN = /^[A-Za-z0-9_.-]{1,64}$/;
/** A response id we keep (`resp_…`): letters, digits and `_.:-`. */
export const ID_TOKEN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * A stream said, in an event rather than an HTTP status, that the response failed: a
 * Responses `response.failed` (its `response.error.code`), an `error` event (its `code`), or a
 * `response.incomplete` whose reason is not an answer (`content_filter`). The openai SDK does
 * not throw for these (the error is nested in the event), so a failed stream would otherwise
 * end "successfully". Classified by its code: `server_error` → `server`, `rate_limit_exceeded`
 * → `rate_limit`, `insufficient_quota` → `quota_exhausted`, `invalid_prompt` → `bad_request`,
 * `content_filter` → `content_filter`; any other code → `unknown` (not retried).
 *
 * Safe to log: it keeps the code only when it is a plain token (`code`), names it in the message
 * only when it is one of the codes above, and never keeps the provider's message.
 *
 * @example
 * ```ts
 * if (isStreamEventError(error) && error.code === 'insufficient_quota') alertBilling();
 * ```
 */
export class StreamEventError extends Error {
  /** @internal Brand checked by `isStreamEventError`. */
  readonly [BRAND] = true;
  /** The provider's error code (`server_error`, ...) or the incomplete reason; absent when not a plain token. */
  readonly code?: string;
  /** The response the event belongs to (Responses API). */
  readonly responseId?: string;
  /** The event's `sequence_number` (Responses API). */
  readonly sequenceNumber?: number;

  constructor(
    /** The event that reported the failure. */
    readonly event: FailureEventType,
    details: { code?: unknown; responseId?: unknown; sequenceNumber?: unknown } = {},
  ) {
    const code = typeof details.code === 'string' && CODE_TOKEN.test(details.code) ? details.code : undefined;
    // The message names only codes of the classification table: a server could echo anything in a code.
    const known = code !== undefined && ruleForStreamEventCode(code) !== undefined;
    super(`The stream reported ${event}${known ? ` (${code})` : code === undefined ? '' : ' (an unrecognised code)'}`);
    this.name = 'StreamEventError';
    if (code !== undefined) this.code = code;
    if (typeof details.responseId === 'string' && ID_TOKEN.test(details.responseId)) {
      this.responseId = details.responseId;
    }
    if (Number.isSafeInteger(details.sequenceNumber)) this.sequenceNumber = details.sequenceNumber as number;
  }
}

/**
 * True for a `StreamEventError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * if (isStreamEventError(error)) logger.warn('the response failed', { code: error.code });
 * ```
 */
export function isStreamEventError(error: unknown): error is StreamEventError {
  return hasBrand(error, BRAND);
}
