/**
 * What replicas share about an upstream, through a store such as Redis
 * (`llm-resilience/redis`). The engine keeps its per-key state in the process and mirrors
 * what other replicas report, so the success path never waits for the store; sharing is
 * fire-and-forget, and a store that is down or slow leaves every replica on its own state.
 */
export type SharedStateEvent = { type: 'cooldown'; key: string; untilMs: number };

export interface SharedStateStore {
  /** Tells every replica that calls to `key` must wait until `untilMs` (epoch ms). Never throws. */
  shareCooldown(key: string, untilMs: number): void;
  /**
   * Delivers what other replicas share (and, on subscribing, the cooldowns in force).
   * Returns an unsubscribe function. Never throws into the listener's caller.
   */
  subscribe(listener: (event: SharedStateEvent) => void): () => void;
}

export function isSharedStateStore(value: unknown): value is SharedStateStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SharedStateStore).shareCooldown === 'function' &&
    typeof (value as SharedStateStore).subscribe === 'function'
  );
}
