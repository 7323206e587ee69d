/**
 * Why `signal` was aborted: its `reason`, which Node >= 17.2 always sets (a `DOMException`
 * named `AbortError` when `abort()` was called without one). The fallback covers polyfilled
 * signals that lack `reason`, so a waiter never rejects with `undefined`.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
