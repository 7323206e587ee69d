/**
 * `llm-resilience/testing`: a local OpenAI / Azure OpenAI compatible server (chat
 * completions, the Responses API with background responses, embeddings, models) that
 * injects faults (429s, 5xx, resets, hangs, cut, failed and stalled streams, ...) by script
 * or at random, for testing retry logic against the real SDKs.
 *
 * This entry point stands apart from the library: it imports nothing from the rest of
 * `src/` and nothing from `openai` at run time, so it works (and loads fast) on its own.
 */
export { startFaultServer } from './fault-server';
export type { FaultRequest, FaultServer, FaultServerOptions, RecordedRequest } from './fault-server';
export type { FaultSpec } from './fault-spec';
export type { FaultApi } from './routes';
export type { RateLimitOptions } from './token-bucket';
