import type { FailureKind } from '../../classification/failure-kind';
import type { StreamItemRules } from './stream-items';
import type { StreamInterruption } from './stream-interrupted-error';

/** Where a committed stream stands, for a resumed attempt: the response and its last event seen. */
export interface StreamPosition {
  /** The response being streamed (Responses API). */
  readonly responseId: string;
  /** The `sequence_number` of the last event the caller received; a resumed stream starts after it. */
  readonly sequenceNumber: number;
}

const NONE: readonly unknown[] = Object.freeze([]);

/**
 * One stream call's progress towards and past its commit point: the items held back before it
 * (lifecycle events, role-only chunks: references, not copies), whether it is committed, and
 * what the caller has received (count, text, response and last sequence number).
 */
export class StreamProgress {
  /** True once the first content item reached the caller. */
  committed = false;
  /** Items the caller has received. */
  itemsReceived = 0;
  private held: unknown[] | undefined;
  private text = '';
  private responseId: string | undefined;
  private sequenceNumber: number | undefined;

  constructor(
    readonly rules: StreamItemRules,
    private readonly commitRule: (item: unknown) => boolean = rules.commits,
  ) {}

  /**
   * An item of the running attempt: the items to hand the caller now (the held ones first,
   * then this one, when it commits the stream), or none while it is held back.
   */
  accept(item: unknown): readonly unknown[] {
    if (this.committed) return [item];
    if (!this.commitRule(item)) {
      (this.held ??= []).push(item);
      return NONE;
    }
    this.committed = true;
    return this.takeHeld(item);
  }

  /** The stream ended: whatever was held back goes to the caller (nothing is lost). */
  flush(): readonly unknown[] {
    return this.takeHeld(undefined, false);
  }

  /** The attempt failed before the commit point: what it held back goes (its retry sends its own). */
  discardHeld(): void {
    this.held = undefined;
  }

  /** An item reaches the caller. */
  delivered(item: unknown): void {
    this.itemsReceived++;
    const rules = this.rules;
    const text = rules.textOf(item);
    if (text !== undefined) this.text += text;
    const sequence = rules.sequenceOf(item);
    if (sequence !== undefined) this.sequenceNumber = sequence;
    this.responseId ??= rules.responseIdOf(item);
  }

  /** True for an item a resumed stream repeats (at or before the last sequence number received). */
  alreadyReceived(item: unknown): boolean {
    const sequence = this.rules.sequenceOf(item);
    return sequence !== undefined && this.sequenceNumber !== undefined && sequence <= this.sequenceNumber;
  }

  /** Where a resumed stream starts, when the stream names its response and positions. */
  position(): StreamPosition | undefined {
    if (this.responseId === undefined || this.sequenceNumber === undefined) return undefined;
    return { responseId: this.responseId, sequenceNumber: this.sequenceNumber };
  }

  /** What `StreamInterruptedError` reports. */
  interruption(kind: FailureKind): StreamInterruption {
    return {
      itemsReceived: this.itemsReceived,
      partialText: this.text,
      responseId: this.responseId,
      sequenceNumber: this.sequenceNumber,
      kind,
    };
  }

  private takeHeld(item: unknown, withItem = true): readonly unknown[] {
    const held = this.held;
    this.held = undefined;
    if (held === undefined) return withItem ? [item] : NONE;
    if (withItem) held.push(item);
    return held;
  }
}
