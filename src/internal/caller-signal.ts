/**
 * The caller's AbortSignal among a call's arguments: an `AbortSignal` argument, or an
 * object argument whose `signal` property is one (openai's request-options shape).
 * Checked by shape, since signals may come from another realm.
 */
export function findCallerSignal(args: readonly unknown[]): AbortSignal | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const arg = args[i];
    if (arg === null || typeof arg !== 'object') continue;
    if (isAbortSignal(arg)) return arg;
    const signal = (arg as { signal?: unknown }).signal;
    if (signal !== undefined && isAbortSignal(signal)) return signal;
  }
  return undefined;
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
