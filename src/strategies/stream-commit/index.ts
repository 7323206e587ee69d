// The stream stage: the commit point of a stream (its first content item), the items held
// back before it, its own timeouts, and the errors of streams that fail or break.
export { FIRST_ITEM_COMMITS, type StreamItemRules } from './stream-items';
export { OPENAI_STREAM_ITEMS } from './openai-stream-items';
export { StreamProgress, type StreamPosition } from './stream-progress';
export { StreamWatch } from './stream-watch';
export { StreamEventError, isStreamEventError, type FailureEventType } from './stream-event-error';
export { StreamInterruptedError, isStreamInterruptedError, type StreamInterruption } from './stream-interrupted-error';
export { StreamTimeoutError, isStreamTimeoutError } from './stream-timeout-error';
