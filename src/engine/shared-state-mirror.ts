import {
  configuredLogger,
  configuredStateStore,
  onResilienceConfigure,
  onResilienceReset,
} from '../config/resilience-settings';
import { logCircuitTransition } from '../observability/retry-log';
import type { CircuitTransition } from '../policies/breaker/circuit-breaker';
import type { SharedStateEvent, SharedStateStore } from './shared-state';
import { Upstream, upstreamFor } from './upstream';

/*
 * What other replicas share (through a state store) is mirrored into the in-process state,
 * which is what every call reads: the success path never waits for a store. One
 * subscription per store: the configured one (`configureResilience({ stateStore })`) and
 * those bound to keys (`ResilientLLMService({ stateStore })`). An event from a store applies
 * to a key only when that store is the key's own.
 */

const subscriptions = new Map<SharedStateStore, () => void>();

function subscribe(store: SharedStateStore): void {
  if (subscriptions.has(store)) return;
  try {
    subscriptions.set(
      store,
      store.subscribe((event) => applySharedEvent(store, event)),
    );
  } catch {
    // A store that cannot subscribe leaves every replica on its own state.
  }
}

function unsubscribe(store: SharedStateStore): void {
  const stop = subscriptions.get(store);
  subscriptions.delete(store);
  try {
    stop?.();
  } catch {
    // Nothing to do: the store is no longer used.
  }
}

/** Keeps the subscriptions to the stores in use: the configured one, and those bound to keys. */
const boundStores = new Set<SharedStateStore>();
onResilienceReset(() => boundStores.clear());
onResilienceConfigure(() => {
  const configured = configuredStateStore();
  for (const store of [...subscriptions.keys()]) {
    if (store !== configured && !boundStores.has(store)) unsubscribe(store);
  }
  if (configured !== undefined) subscribe(configured);
});

/**
 * Shares the state of `key` through `store` instead of the configured store (as
 * `ResilientLLMService({ stateStore })` does for its agents' keys).
 */
export function bindStateStore(key: string, store: SharedStateStore): void {
  const upstream = upstreamFor(key);
  if (upstream.boundStore === store) return;
  upstream.boundStore = store;
  boundStores.add(store);
  subscribe(store);
}

/** @internal Applies one event from `store` to the in-process state. Never throws. */
export function applySharedEvent(store: SharedStateStore, event: SharedStateEvent): void {
  try {
    if (typeof event !== 'object' || event === null || typeof event.key !== 'string') return;
    const upstream = upstreamFor(event.key);
    if (upstream.store() !== store) return;
    switch (event.type) {
      case 'cooldown':
        if (Number.isFinite(event.untilMs)) upstream.extendCooldown(event.untilMs);
        return;
      case 'circuit':
        if (event.state === 'open') {
          if (event.openForMs > 0) report(upstream, upstream.adoptCircuitOpen(event.openForMs, event.failures));
        } else if (event.state === 'closed') {
          report(upstream, upstream.adoptCircuitClosed());
        }
        return;
      case 'failing':
        upstream.sharedFailing = true;
        return;
      case 'budget':
        if (Number.isFinite(event.tokens)) upstream.adoptBudget(event.tokens);
        return;
      case 'replicas':
        upstream.adoptReplicas(event.count);
        return;
      case 'limit':
        upstream.adoptRateLimit(event.limitPerMinute);
        return;
      default:
        return; // An event of a newer version: ignored.
    }
  } catch {
    // What another replica reports must never break this one.
  }
}

/** A circuit opened or closed by another replica is logged here like a local transition. */
function report(upstream: Upstream, transitions: readonly CircuitTransition[]): void {
  for (const transition of transitions) logCircuitTransition(configuredLogger(), upstream.key, transition);
}
