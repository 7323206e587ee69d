/**
 * What the chaos soak checks of each call: the invariants that hold whatever the machine's
 * load (attempts bounded, no retry after a quota or auth error, one outcome, a typed error,
 * the call's own answer), and, for calls the load did not disturb, the exact outcome its
 * fault plan calls for.
 *
 * "Disturbed": an attempt the server did not hang was still abandoned by the client at
 * `attemptTimeoutMs` (at concurrency 50 on a busy 2-core machine a healthy request can
 * take seconds). Such an attempt may have been cut before the server saw it, or after the
 * server answered, so neither the server's count nor the plan can be matched exactly.
 */
import {
  AgentExecutionError,
  isAgentExecutionError,
  isAttemptTimeoutError,
  isCircuitOpenError,
  isStreamInterruptedError,
  TRACE_EVENTS,
} from '../../src';
import type { RecordedRequest } from '../../src/testing';
import { RecordingTracer } from '../llm/helpers';
import {
  expectedOutcome,
  isNonRetryable,
  type CallPlan,
  type ExpectedOutcome,
  type StreamErrorShape,
} from './chaos-plan';
import type { Settled } from './soak-support';

/** A RecordingTracer that also notes when each event came. */
export class TimedTracer extends RecordingTracer {
  readonly times: number[] = [];
  override logEvent(event: string, details: Record<string, unknown>): void {
    super.logEvent(event, details);
    this.times.push(performance.now());
  }
}

export interface CallResult {
  plan: CallPlan;
  settled: Settled<string>;
  tracer: TimedTracer;
  elapsedMs: number;
  /** Deltas a stream delivered before it ended. */
  deltas: string[];
}

export interface Limits {
  maxAttempts: number;
  attemptTimeoutMs: number;
}

export interface CallVerdict {
  problems: string[];
  disturbed: boolean;
  /** Attempts the library reports (`retry_attempt_start` events). */
  attempts: number;
}

const OUTCOME_EVENTS: readonly string[] = [
  TRACE_EVENTS.success,
  TRACE_EVENTS.maxRetriesExceeded,
  TRACE_EVENTS.notRetryable,
];

/** Timers may fire a little early by the performance clock (rounding); never by more. */
const TIMER_SLACK_MS = 2;

export function checkCall(result: CallResult, seen: RecordedRequest[], limits: Limits): CallVerdict {
  const { plan, settled, tracer } = result;
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${plan.tag} (${plan.mode}, plan ${plan.faults.join(',')}): ${what}`);
  const indexed = tracer.events.map((entry, index) => ({ ...entry, at: tracer.times[index] }));

  // Attempts as the library reports them: 1, 2, ... and never above maxAttempts.
  const starts = indexed.filter((entry) => entry.event === TRACE_EVENTS.attemptStart);
  const attempts = starts.length;
  if (attempts > limits.maxAttempts) say(`${attempts} attempts > maxAttempts ${limits.maxAttempts}`);
  starts.forEach((start, index) => {
    if (start.details.attempt !== index + 1 || start.details.max_attempts !== limits.maxAttempts) {
      say(`attempt_start #${index + 1} says ${JSON.stringify(start.details)}`);
    }
  });

  // Client-side timeouts: never before attemptTimeoutMs; one the server did not cause disturbs the call.
  const failures = indexed.filter((entry) => entry.event === TRACE_EVENTS.attemptFailed);
  const reachedDeadline = indexed.some(
    (entry) => entry.event === TRACE_EVENTS.notRetryable && entry.details.reason === 'deadline',
  );
  let disturbed = false;
  for (const failure of failures) {
    if (failure.details.kind !== 'timeout') continue;
    const attempt = failure.details.attempt as number;
    const start = starts[attempt - 1];
    if (!reachedDeadline && start && failure.at - start.at < limits.attemptTimeoutMs - TIMER_SLACK_MS) {
      say(`attempt ${attempt} abandoned after ${Math.round(failure.at - start.at)} ms < attemptTimeoutMs`);
    }
    if (seen[attempt - 1]?.fault !== 'hang') disturbed = true;
  }

  // The server saw each attempt once; only a disturbed call may have lost one on the way.
  if (seen.length > attempts) say(`server saw ${seen.length} requests, library reports ${attempts} attempts`);
  if (seen.length < attempts && !disturbed)
    say(`server saw ${seen.length} requests, library reports ${attempts} attempts`);

  // Exactly one outcome event; a quota or auth failure the client received ends the call.
  const outcomes = indexed.filter((entry) => OUTCOME_EVENTS.includes(entry.event));
  if (outcomes.length !== 1)
    say(`${outcomes.length} outcome events: ${outcomes.map((entry) => entry.event).join(',')}`);
  const fatal = failures.filter(
    (failure) => failure.details.kind === 'quota_exhausted' || failure.details.kind === 'auth',
  );
  if (fatal.length > 1 || (fatal.length === 1 && fatal[0].details.attempt !== attempts)) {
    say(`attempted again after ${fatal[0].details.kind} at attempt ${String(fatal[0].details.attempt)}`);
  }

  if (settled.state === 'hung') return { problems, disturbed, attempts }; // reported on its own
  if (settled.state === 'fulfilled' && settled.value !== `Echo: ${plan.prompt}`) {
    say(`got an answer that is not its own: ${settled.value.slice(0, 80)}`);
  }
  if (settled.state === 'rejected') {
    // At the deadline the call ends with the previous attempt's error, not the deadline's.
    const lastKind = reachedDeadline ? undefined : failures.at(-1)?.details.kind;
    const typed =
      plan.mode === 'chat' ? chatErrorProblem(settled.reason, attempts, lastKind) : streamErrorProblem(settled.reason);
    if (typed) say(typed);
  }
  if (disturbed) return { problems, disturbed, attempts };

  // Undisturbed: exactly the plan, and exactly the outcome it calls for.
  const faults = seen.map((request) => request.fault);
  if (faults.join(',') !== plan.faults.join(',')) say(`server applied ${faults.join(',')}`);
  const nonRetryable = faults.findIndex(isNonRetryable);
  if (nonRetryable !== -1 && nonRetryable !== faults.length - 1) say(`request after ${faults[nonRetryable]}`);
  const expected = expectedOutcome(plan);
  if (attempts !== expected.attempts) say(`${attempts} attempts, want ${expected.attempts}`);
  const mismatch = outcomeMismatch(result, expected);
  if (mismatch) say(mismatch);
  return { problems, disturbed, attempts };
}

/** A chat call's failure is an AgentExecutionError agreeing with the trace (kind, attempts), safe to serialise. */
function chatErrorProblem(error: unknown, attempts: number, lastKind: unknown): string | undefined {
  if (!isAgentExecutionError(error) || !(error instanceof AgentExecutionError))
    return `not an AgentExecutionError: ${describeError(error)}`;
  if (error.attempts !== attempts) return `AgentExecutionError.attempts ${error.attempts}, trace says ${attempts}`;
  if (lastKind !== undefined && error.kind !== lastKind)
    return `AgentExecutionError.kind ${error.kind}, last failure ${String(lastKind)}`;
  const json = JSON.stringify(error);
  const want = JSON.stringify({ name: 'AgentExecutionError', message: error.message, kind: error.kind, attempts });
  return json === want ? undefined : `JSON.stringify gives ${json}`;
}

/** A stream's failure is one of the errors the library documents, never a bare value. */
function streamErrorProblem(error: unknown): string | undefined {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'message' in error)) {
    return `stream failed with ${describeError(error)}`;
  }
  return undefined;
}

function outcomeMismatch(result: CallResult, expected: ExpectedOutcome): string | undefined {
  const { settled, tracer } = result;
  if (expected.ok) {
    if (settled.state !== 'fulfilled') return `failed: ${describeError((settled as { reason?: unknown }).reason)}`;
    const success = tracer.named(TRACE_EVENTS.success)[0];
    return success?.attempt === expected.attempts
      ? undefined
      : `success reported at attempt ${String(success?.attempt)}`;
  }
  if (settled.state !== 'rejected')
    return `succeeded, want a failure after ${expected.attempts} attempts (${expected.last})`;
  if (result.plan.mode === 'chat') {
    const error = settled.reason as AgentExecutionError;
    return error.kind === expected.kind ? undefined : `kind ${error.kind}, want ${expected.kind}`;
  }
  return streamMismatch(settled.reason, expected.streamError!, result);
}

function streamMismatch(error: unknown, shape: StreamErrorShape, result: CallResult): string | undefined {
  const fail = (want: string) => `stream error ${describeError(error)}, want ${want}`;
  const e = error as { status?: number; code?: string; message?: string; name?: string };
  switch (shape.type) {
    case 'interrupted':
      if (!isStreamInterruptedError(error) || error.deliveredChunks !== shape.deliveredChunks) {
        return fail(`StreamInterruptedError(${shape.deliveredChunks})`);
      }
      return result.deltas.length === shape.deliveredChunks
        ? undefined
        : `delivered ${result.deltas.length} deltas, error says ${shape.deliveredChunks}`;
    case 'status':
      return e?.status === shape.status && (shape.code === undefined || e.code === shape.code)
        ? undefined
        : fail(`status ${shape.status} ${shape.code ?? ''}`);
    case 'connection':
      return e?.status === undefined && e?.message === 'Connection error.' ? undefined : fail('APIConnectionError');
    case 'attempt-timeout':
      return isAttemptTimeoutError(error) ? undefined : fail('AttemptTimeoutError');
    case 'terminated':
      return e?.message === 'terminated' ? undefined : fail('TypeError: terminated');
    case 'syntax':
      return e?.name === 'SyntaxError' ? undefined : fail('SyntaxError');
  }
}

export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; status?: number; kind?: string; attempts?: number };
  const circuit = isCircuitOpenError(error) ? ' circuit open' : '';
  return `${e?.name}(${e?.status ?? ''}${e?.kind ? ` ${e.kind}/${e.attempts}` : ''}${circuit}): ${String(e?.message).slice(0, 120)}`;
}
