import { AttemptTimeoutError } from './timeout-errors';

/** The running attempt, as the guard needs it: its number, and how to abort its request. */
export interface GuardedAttempt {
  readonly attempt: number;
  /** Aborts the attempt's own signal (the one `getRetryContext().signal` gives the method). */
  abort(reason: unknown): void;
}

/** Ends the call at once with `error`, whatever the retry policy says. Control flow of the retry loop. */
export class FinalOutcome {
  constructor(readonly error: unknown) {}
}

/**
 * The timeout stage: what watches one running attempt (its timeout, the call's deadline and
 * the caller's abort), around the attempt rather than before or after it.
 */
export interface AttemptGuard {
  /** Rejects with an AttemptTimeoutError (retryable) or a FinalOutcome; never resolves. */
  readonly stopped: Promise<never>;
  /** True once the guard stopped the attempt (which may still be running). */
  readonly fired: boolean;
  dispose(): void;
}

/** The call an attempt belongs to, as the guard needs it. */
export interface GuardedCall {
  /** The method's name, for `AttemptTimeoutError`. */
  label(): string;
  /** The call's deadline has come while attempt `attempt` runs: reports it and says how the call ends. */
  endAtDeadline(attempt: number): FinalOutcome;
}

/**
 * Watches one attempt: its timeout (`attemptTimeoutMs`: a retryable AttemptTimeoutError),
 * the call's deadline (`deadlineMs`, epoch ms) and the call's signal (both final). Whatever
 * stops the attempt also aborts its context's signal, so the request it sent ends too.
 * Undefined when there is nothing to watch.
 */
export function guardAttempt(
  ctx: GuardedAttempt,
  call: GuardedCall,
  signal: AbortSignal | undefined,
  attemptTimeoutMs: number | undefined,
  deadlineMs: number | undefined,
): AttemptGuard | undefined {
  if (attemptTimeoutMs === undefined && deadlineMs === undefined && signal === undefined) return undefined;
  let attemptTimer: ReturnType<typeof setTimeout> | undefined;
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const guard = { stopped: undefined as unknown as Promise<never>, fired: false, dispose };
  const stopped = new Promise<never>((_, settle) => {
    const reject = (reason: unknown): void => {
      guard.fired = true;
      settle(reason);
    };
    if (signal) {
      onAbort = () => {
        reject(new FinalOutcome(signal.reason));
        ctx.abort(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    }
    if (attemptTimeoutMs !== undefined) {
      attemptTimer = setTimeout(() => {
        const timeout = new AttemptTimeoutError(call.label(), attemptTimeoutMs);
        reject(timeout);
        ctx.abort(timeout);
      }, attemptTimeoutMs);
    }
    if (deadlineMs !== undefined) {
      deadlineTimer = setTimeout(
        () => {
          const outcome = call.endAtDeadline(ctx.attempt);
          reject(outcome);
          ctx.abort(outcome.error);
        },
        Math.max(0, deadlineMs - Date.now()),
      );
    }
  });
  // The race may end by the attempt settling first; an unobserved rejection is not an error here.
  stopped.catch(() => undefined);
  guard.stopped = stopped;
  return guard;

  function dispose(): void {
    if (attemptTimer !== undefined) clearTimeout(attemptTimer);
    if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
    if (onAbort) signal!.removeEventListener('abort', onAbort);
  }
}
