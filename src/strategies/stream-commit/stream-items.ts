/**
 * What the stream stage knows of the items of one kind of stream: which item commits it (its
 * first content item), which items report a failure, the text they carry and where they are.
 * `@RetryOpenAI` and `@RetryAzure` read OpenAI's items (openai-stream-items.ts); every other
 * decorator and pipeline, any async iterable's (`FIRST_ITEM_COMMITS`).
 */
export interface StreamItemRules {
  /** True when the item is content: the first such item commits the stream. */
  commits(item: unknown): boolean;
  /** The failure an item reports (a `response.failed` event, say), or undefined. */
  failureOf(item: unknown): Error | undefined;
  /** The text an item carries, for `StreamInterruptedError.partialText`. */
  textOf(item: unknown): string | undefined;
  /** The response an item names (a `response.created` event's `response.id`), if any. */
  responseIdOf(item: unknown): string | undefined;
  /** The item's position in its response (`sequence_number`), if it has one. */
  sequenceOf(item: unknown): number | undefined;
}

/** Any async iterable: its first item commits it; string items are its text. */
export const FIRST_ITEM_COMMITS: StreamItemRules = Object.freeze({
  commits: () => true,
  failureOf: () => undefined,
  textOf: (item: unknown) => (typeof item === 'string' ? item : undefined),
  responseIdOf: () => undefined,
  sequenceOf: () => undefined,
});
