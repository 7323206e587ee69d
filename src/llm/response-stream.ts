import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { RetryConfig } from '../config/retry-config';
import { supervisedAttemptSignal } from '../engine/retry-context';
import { executeStreamWithRetry } from '../engine/retry-engine';
import type { RetryPolicy } from '../engine/retry-policy';
import { buildRetryPolicy } from '../pipeline/build-retry-policy';
import { OPENAI_STREAM_ITEMS } from '../strategies/stream-commit/openai-stream-items';
import type { StreamPosition } from '../strategies/stream-commit/stream-progress';
import type { AgentConfig } from './agent-config';
import { agentCallOptions, attemptRequestOptions, type LLMServiceFactory } from './llm-service-factory';
import { responseBody, type ResponseRequest } from './responses-api';

// A Responses API stream under the engine's stream commit point, with the engine's resume: what
// a `@Retry`-decorated generator cannot do (it has no resume hook). The policy is built once
// per label, as a decorator builds it once per method: same key, logs, events and spans.

/** Counts the attempts of one config (every create and every re-attach is one). */
export interface AttemptCounter {
  /** Attempts made so far. */
  attempts: number;
}

/** Who runs the stream: where clients come from, and its own logger and tracer. */
interface StreamOwner {
  readonly factory: LLMServiceFactory;
}

/** The arguments of one stream call as the policy's callbacks see them (`args[0]` is the agent). */
type StreamArgs = [agent: AgentConfig, request: ResponseRequest, counter: AttemptCounter];

/**
 * The retry policy of the Responses streams named `label`: the LLM layer's retry predicate,
 * the agent's retry config (by `configOf`) and upstream key, and OpenAI's stream items, so
 * that lifecycle events are held back until the first content event.
 */
export function responseStreamPolicy(
  label: string,
  configOf: (agent: AgentConfig) => RetryConfig,
  shouldRetry: (error: unknown) => boolean,
): RetryPolicy {
  return buildRetryPolicy({
    definedAs: label,
    options: agentCallOptions(configOf),
    extraKeys: [],
    shouldRetry,
    label: () => label,
    usedBy: label,
    optionsSource: 'the service options',
    streamItems: OPENAI_STREAM_ITEMS,
  });
}

/**
 * The events of `client.responses.create({ ...body, stream: true })` for `agent`, retried
 * until the first content event. With `resume` and a background request, a committed stream
 * that breaks re-attaches with `client.responses.retrieve(id, { stream: true, starting_after })`
 * (more attempts under the same policy and deadline; no event twice); otherwise the break is
 * a `StreamInterruptedError`.
 */
export function streamResponseEvents(
  policy: RetryPolicy,
  owner: StreamOwner,
  agent: AgentConfig,
  request: ResponseRequest,
  counter: AttemptCounter,
  resume: boolean,
): AsyncGenerator<ResponseStreamEvent> {
  const args: StreamArgs = [agent, request, counter];
  const reattach =
    resume && request.background === true
      ? (from: StreamPosition) => {
          counter.attempts++;
          // Read in the synchronous start of the attempt: aborts on its timeouts and the caller's abort.
          const signal = supervisedAttemptSignal() ?? request.signal;
          return owner.factory
            .clientFor(agent)
            .responses.retrieve(
              from.responseId,
              { stream: true, starting_after: from.sequenceNumber },
              attemptRequestOptions(signal),
            );
        }
      : undefined;
  return executeStreamWithRetry(policy, createStream, owner, args, reattach) as AsyncGenerator<ResponseStreamEvent>;
}

/** One attempt: a promise of the SDK's stream (the engine awaits it under the attempt's guard). */
function createStream(this: StreamOwner, agent: AgentConfig, request: ResponseRequest, counter: AttemptCounter) {
  counter.attempts++;
  const signal = supervisedAttemptSignal() ?? request.signal;
  return this.factory
    .clientFor(agent)
    .responses.create({ ...responseBody(agent, request), stream: true }, attemptRequestOptions(signal));
}
