import { abortReason } from './abort-reason';

/*
 * Many concurrent calls may share one caller signal (a request-scoped signal handed to
 * every call of a request). Each listener added to an AbortSignal counts toward Node's
 * MaxListenersExceededWarning (10), so a call never listens to the caller's signal itself:
 * it gets its own controller, and one listener per caller signal, whatever the number of
 * calls, aborts them all.
 */

const followers = new WeakMap<AbortSignal, Set<AbortController>>();

function fanOut(this: AbortSignal): void {
  const controllers = followers.get(this);
  followers.delete(this);
  if (controllers === undefined) return;
  const reason = abortReason(this);
  for (const controller of controllers) controller.abort(reason);
}

/**
 * A signal of the call's own that aborts, with the same reason, when `callerSignal` does.
 * `release()` when the call ends: the last call to release a caller signal removes the one
 * listener all of them shared.
 */
export function followSignal(callerSignal: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  if (callerSignal.aborted) {
    controller.abort(abortReason(callerSignal));
    return { signal: controller.signal, release: () => undefined };
  }
  let controllers = followers.get(callerSignal);
  if (controllers === undefined) {
    controllers = new Set();
    followers.set(callerSignal, controllers);
    callerSignal.addEventListener('abort', fanOut, { once: true });
  }
  controllers.add(controller);
  return {
    signal: controller.signal,
    release() {
      const set = followers.get(callerSignal);
      if (set === undefined || !set.delete(controller) || set.size > 0) return;
      followers.delete(callerSignal);
      callerSignal.removeEventListener('abort', fanOut);
    },
  };
}
