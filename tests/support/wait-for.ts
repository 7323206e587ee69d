/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Gives up (the returned promise rejects) after this many ms. @default 5000 */
  timeoutMs?: number;
  /** Checks the condition this often (ms). @default 5 */
  intervalMs?: number;
  /** What is waited for, for the failure message. @default the condition's source */
  what?: string;
}

/**
 * Resolves once `condition` holds, checking it every few ms; rejects with a clear message
 * (what was waited for, for how long, and the condition's last error if it threw) after
 * `timeoutMs`. For tests that must wait on what they really need (a subscription in place,
 * an event heard, a state reached) instead of sleeping for a guessed time. A condition that
 * throws counts as not met yet. Resolves with the ms it waited.
 *
 * @example
 * ```ts
 * await waitFor(() => upstreamFor('k').circuitState() === 'open', { what: 'the circuit to open' });
 * ```
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 5, what }: WaitForOptions = {},
): Promise<number> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return Date.now() - started;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started >= timeoutMs) {
      const subject = what ?? `the condition ${condition.toString()}`;
      const cause = lastError === undefined ? '' : ` (it last threw: ${String(lastError)})`;
      throw new Error(`waitFor: timed out after ${timeoutMs} ms waiting for ${subject}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
