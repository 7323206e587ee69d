// Bulkhead: a per-key concurrency limit with a bounded queue, its options, and the stage
// that takes a slot for each attempt.
export { Bulkhead } from './bulkhead';
export type { BulkheadOptions, BulkheadRelease, BulkheadStats } from './bulkhead';
export { BulkheadRejectedError, isBulkheadRejectedError } from './bulkhead-rejected-error';
export { BULKHEAD_OPTION_NAMES, DEFAULT_BULKHEAD_QUEUE_LIMIT, validateBulkheadOptions } from './bulkhead-options';
export type { BulkheadValidation, ResolvedBulkheadOptions } from './bulkhead-options';
export { BulkheadStage } from './bulkhead-stage';
