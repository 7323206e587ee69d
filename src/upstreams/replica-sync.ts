import { configuredLogger, configuredStateStore } from '../config/resilience-settings';
import { logCircuitTransition } from '../observability/retry-log';
import type { CircuitTransition } from '../strategies/circuit-breaker/circuit-breaker';
import { CIRCUIT_BREAKER_DEFAULTS } from '../strategies/circuit-breaker/circuit-breaker-options';
import type { SharedStateEvent, SharedStateStore } from '../ports/shared-state-store';
import { MAX_COOLDOWN_MS } from '../strategies/rate-limit/cooldown';
import { existingUpstream, type Upstream, upstreamFor } from './per-key-state';

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

/** The stores bound to keys (`bindStateStore`): kept subscribed whatever is configured. */
const boundStores = new Set<SharedStateStore>();

/**
 * @internal Keeps the subscriptions to the stores in use: the configured one, and those bound
 * to keys. Run when the engine is wired and after every `configureResilience` (engine/wiring.ts).
 */
export function followConfiguredStore(): void {
  const configured = configuredStateStore();
  for (const store of [...subscriptions.keys()]) {
    if (store !== configured && !boundStores.has(store)) unsubscribe(store);
  }
  if (configured !== undefined) subscribe(configured);
}

/**
 * Keys this process first heard of from its store (not used here yet), at most
 * MAX_HEARD_KEYS: a poisoned stream of events naming ever new keys must not grow the
 * per-key state without bound.
 */
let heardKeys = 0;
const MAX_HEARD_KEYS = 10_000;

/** @internal `resetResilience`: forgets the bound stores and the anomalies already reported. */
export function forgetReplicaState(): void {
  boundStores.clear();
  heardKeys = 0;
  reported = new WeakMap();
}

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

/*
 * What a store delivers is hostile until bounded: a poisoned or buggy event (a cooldown ending
 * in 11 days, a circuit open for 31 years, a replica count of a million) must not hang or
 * cripple every replica that hears it. Each value is checked before it is applied: out of
 * bounds, it is clamped or ignored, and a warning says so, once per store and kind of anomaly
 * (a flood of poisoned events must not flood the log either).
 */

/** A shared replica count above this is ignored. */
const MAX_REPLICAS = 10_000;
/** The longest key quoted in a warning (the rest is cut). */
const MAX_LOGGED_KEY_LENGTH = 200;

/** What was wrong with an event's value (one warning per store and kind). */
type Anomaly =
  | 'cooldown-too-far'
  | 'cooldown-invalid'
  | 'circuit-too-long'
  | 'circuit-invalid'
  | 'circuit-failures'
  | 'limit-invalid'
  | 'budget-invalid'
  | 'budget-clamped'
  | 'replicas-invalid'
  | 'keys-too-many';

/** The anomalies already reported, per store. */
let reported = new WeakMap<SharedStateStore, Set<Anomaly>>();

/** @internal Applies one event from `store` to the in-process state, bounded. Never throws. */
export function applySharedEvent(store: SharedStateStore, event: SharedStateEvent): void {
  try {
    if (typeof event !== 'object' || event === null || typeof event.key !== 'string') return;
    const upstream = existingUpstream(event.key) ?? heardOf(store, event.key);
    if (upstream === undefined || upstream.store() !== store) return;
    // Only the key, the event type and numbers go into a warning: never a received string.
    const warn = (anomaly: Anomaly, message: string, received: unknown, applied?: number) => {
      const meta: Record<string, unknown> = { upstream: cut(event.key), type: event.type };
      if (typeof received === 'number') meta.received = received;
      if (applied !== undefined) meta.applied = applied;
      warnOnce(store, anomaly, `llm-resilience: ${message}`, meta);
    };
    const key = JSON.stringify(cut(event.key));
    switch (event.type) {
      case 'cooldown': {
        const untilMs: unknown = event.untilMs;
        if (typeof untilMs !== 'number' || !Number.isFinite(untilMs)) {
          warn(
            'cooldown-invalid',
            `ignored a shared cooldown for key ${key} ending at ${show(untilMs)} (not a time)`,
            untilMs,
          );
          return;
        }
        const aheadMs = untilMs - Date.now();
        if (aheadMs > MAX_COOLDOWN_MS) {
          const message = `ignored a shared cooldown for key ${key} ending ${duration(aheadMs)} from now (more than 24 h ahead)`;
          warn('cooldown-too-far', message, untilMs);
          return;
        }
        upstream.cooldown.extend(untilMs);
        return;
      }
      case 'circuit':
        if (event.state === 'open') {
          const openForMs = circuitOpenFor(upstream, event.openForMs, key, warn);
          if (openForMs === undefined) return;
          let failures: unknown = event.failures;
          if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 0) {
            const message = `took the failure count of a shared open circuit for key ${key} as 0 (received ${show(failures)}: not a non-negative integer)`;
            warn('circuit-failures', message, failures, 0);
            failures = 0;
          }
          report(upstream, upstream.circuit.adoptOpen(openForMs, failures as number));
        } else if (event.state === 'closed') {
          report(upstream, upstream.circuit.adoptClosed());
        }
        return;
      case 'failing':
        upstream.circuit.sharedFailing = true;
        return;
      case 'budget': {
        const tokens: unknown = event.tokens;
        const taken = typeof tokens === 'number' ? upstream.budget.adopt(tokens) : undefined;
        if (taken === undefined) {
          const message = `ignored a shared retry budget for key ${key} of ${show(tokens)} tokens (not a finite number)`;
          warn('budget-invalid', message, tokens);
        } else if (taken !== tokens) {
          const message = `clamped a shared retry budget for key ${key} from ${show(tokens)} to ${taken} tokens (outside 0 to the bucket's capacity)`;
          warn('budget-clamped', message, tokens, taken);
        }
        return;
      }
      case 'replicas': {
        const count: unknown = event.count;
        if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_REPLICAS) {
          const message = `ignored a shared replica count for key ${key} of ${show(count)} (not an integer from 1 to ${MAX_REPLICAS})`;
          warn('replicas-invalid', message, count);
          return;
        }
        upstream.pacing.adoptReplicas(count);
        return;
      }
      case 'limit': {
        const limitPerMinute: unknown = event.limitPerMinute;
        if (typeof limitPerMinute !== 'number' || !Number.isFinite(limitPerMinute) || limitPerMinute < 1) {
          const message = `ignored a shared rate limit for key ${key} of ${show(limitPerMinute)} per minute (not a finite number >= 1)`;
          warn('limit-invalid', message, limitPerMinute);
          return;
        }
        upstream.pacing.adoptRateLimit(limitPerMinute);
        return;
      }
      default:
        return; // An event of a newer version: ignored.
    }
  } catch {
    // What another replica reports must never break this one.
  }
}

/**
 * The state of a key first heard of from `store`: kept (so that this process paces with a
 * limit, or respects a circuit, from its first call) only when `store` is the configured one
 * (a bound store's keys exist already) and fewer than MAX_HEARD_KEYS were heard of so far.
 */
function heardOf(store: SharedStateStore, key: string): Upstream | undefined {
  if (store !== configuredStateStore()) return undefined;
  if (heardKeys >= MAX_HEARD_KEYS) {
    warnOnce(
      store,
      'keys-too-many',
      `llm-resilience: ignored shared state for keys not used by this process beyond the first ${MAX_HEARD_KEYS}`,
      { limit: MAX_HEARD_KEYS },
    );
    return undefined;
  }
  heardKeys++;
  return upstreamFor(key);
}

/**
 * How long a shared open circuit stays open here: at most the key's longest open wait
 * (`maxHalfOpenAfterMs` of its breaker, or the default before it has one); undefined when
 * not a positive duration (ignored).
 */
function circuitOpenFor(
  upstream: Upstream,
  openForMs: unknown,
  key: string,
  warn: (anomaly: Anomaly, message: string, received: unknown, applied?: number) => void,
): number | undefined {
  if (typeof openForMs !== 'number' || !Number.isFinite(openForMs) || openForMs <= 0) {
    const message = `ignored a shared open circuit for key ${key} open for ${show(openForMs)} ms (not a positive duration)`;
    warn('circuit-invalid', message, openForMs);
    return undefined;
  }
  const maxMs = upstream.circuit.existing()?.options.maxHalfOpenAfterMs ?? CIRCUIT_BREAKER_DEFAULTS.maxHalfOpenAfterMs;
  if (openForMs <= maxMs) return openForMs;
  const message = `clamped a shared open circuit for key ${key} from ${duration(openForMs)} to ${duration(maxMs)} (its maxHalfOpenAfterMs)`;
  warn('circuit-too-long', message, openForMs, maxMs);
  return maxMs;
}

/** Logs `message` at warn the first time `store` delivers an `anomaly`. */
function warnOnce(store: SharedStateStore, anomaly: Anomaly, message: string, meta: Record<string, unknown>): void {
  let seen = reported.get(store);
  if (seen === undefined) reported.set(store, (seen = new Set()));
  if (seen.has(anomaly)) return;
  seen.add(anomaly);
  try {
    configuredLogger().warn(message, meta);
  } catch {
    // A logger's failure must not stop the event from being handled.
  }
}

/** A key as named in a warning: cut when long (and quoted with JSON.stringify in the message: no line breaks). */
function cut(key: string): string {
  return key.length > MAX_LOGGED_KEY_LENGTH ? `${key.slice(0, MAX_LOGGED_KEY_LENGTH)}…` : key;
}

/** A received value in a warning: a number as such, anything else by its type only (never its content). */
function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value);
  return `a ${typeof value}`;
}

/** A duration for a warning: ms, min or h. */
function duration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms)} ms`;
  if (ms < 2 * 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A circuit opened or closed by another replica is logged here like a local transition. */
function report(upstream: Upstream, transitions: readonly CircuitTransition[]): void {
  for (const transition of transitions) logCircuitTransition(configuredLogger(), upstream.key, transition);
}
