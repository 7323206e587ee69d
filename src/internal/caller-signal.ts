/**
 * The caller's AbortSignal among a call's arguments: an `AbortSignal` argument, or an
 * object argument whose `signal` property is one (openai's request-options shape) or whose
 * `abortSignal` property is one (the Azure SDKs' `OperationOptions`).
 * Checked by shape, since signals may come from another realm.
 */
export function findCallerSignal(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const signal = callerSignalIn(args[i]);
    if (signal !== undefined) return signal;
  }
  return undefined;
}

/** The caller's AbortSignal if `arg` is one, or carries one as `signal`. */
export function callerSignalIn(arg: unknown): AbortSignal | undefined {
  if (arg === null || typeof arg !== 'object') return undefined;
  if (isAbortSignal(arg)) return arg;
  const signal = (arg as { signal?: unknown }).signal;
  if (signal !== undefined) return isAbortSignal(signal) ? signal : undefined;
  const abortSignal = (arg as { abortSignal?: unknown }).abortSignal;
  return abortSignal !== undefined && isAbortSignal(abortSignal) ? abortSignal : undefined;
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).throwIfAborted === 'function'
  );
}
