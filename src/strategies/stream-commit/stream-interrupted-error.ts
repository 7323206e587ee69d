import type { FailureKind } from '../../classification/failure-kind';
import { BRANDS, hasBrand } from '../../internal/brands';

const BRAND: typeof BRANDS.streamInterrupted = BRANDS.streamInterrupted;

/** Where an interrupted stream stood, as `StreamInterruptedError` reports it. */
export interface StreamInterruption {
  /** Items the caller had received when the stream broke. */
  readonly itemsReceived: number;
  /** The text the caller had received (never logged). */
  readonly partialText: string;
  /** The Responses API response the stream belonged to. */
  readonly responseId?: string;
  /** The `sequence_number` of the last event the caller received (Responses API). */
  readonly sequenceNumber?: number;
  /** What broke it, classified (`network`, `server`, `timeout`, ...). */
  readonly kind: FailureKind;
}

/**
 * A stream broke after its commit point (its first content item reached the caller): not
 * retried, since the caller has seen part of the answer (unless it is resumed: the Responses
 * API's background mode). The error that broke it is the `cause`, and `kind` says what it was.
 *
 * Safe to log: the message names the method, the count and the kind only. The text received
 * so far is `partialText`, a getter over a private field: no rendering of the error
 * (`util.inspect`, `JSON.stringify`, a winston format) prints it.
 *
 * @example
 * ```ts
 * try {
 *   for await (const delta of executor.executeStream(config, messages)) send(delta);
 * } catch (error) {
 *   if (isStreamInterruptedError(error)) send(`\n[interrupted after ${error.itemsReceived} items: ask again]`);
 *   else throw error;
 * }
 * ```
 */
export class StreamInterruptedError extends Error {
  /** @internal Brand checked by `isStreamInterruptedError`. */
  readonly [BRAND] = true;
  /** Items the caller had received when the stream broke. */
  readonly itemsReceived: number;
  /** The Responses API response the stream belonged to. */
  readonly responseId?: string;
  /** The `sequence_number` of the last event the caller received (Responses API). */
  readonly sequenceNumber?: number;
  /** What broke the stream, classified (`network`, `server`, `timeout`, `content_filter`, ...). */
  readonly kind: FailureKind;
  readonly #partialText: string;

  constructor(interruption: StreamInterruption, cause: unknown, method?: string) {
    const { itemsReceived, kind } = interruption;
    super(
      `${method === undefined ? 'The stream' : `The stream of ${method}`} broke after ${itemsReceived} item${
        itemsReceived === 1 ? '' : 's'
      } (${kind})`,
      { cause },
    );
    this.name = 'StreamInterruptedError';
    this.itemsReceived = itemsReceived;
    this.kind = kind;
    this.#partialText = interruption.partialText;
    if (interruption.responseId !== undefined) this.responseId = interruption.responseId;
    if (interruption.sequenceNumber !== undefined) this.sequenceNumber = interruption.sequenceNumber;
  }

  /** The text the caller had received: for developers, never logged or shown by a rendering of the error. */
  get partialText(): string {
    return this.#partialText;
  }

  /**
   * Items the caller had received.
   * @deprecated Use `itemsReceived`.
   */
  get deliveredChunks(): number {
    return this.itemsReceived;
  }
}

/**
 * True for a `StreamInterruptedError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * if (isStreamInterruptedError(error)) send('\n[interrupted]');
 * ```
 */
export function isStreamInterruptedError(error: unknown): error is StreamInterruptedError {
  return hasBrand(error, BRAND);
}
