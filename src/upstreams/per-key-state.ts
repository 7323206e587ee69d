import { bumpHoldEpoch } from '../internal/hold-epoch';
import { configuredStateStore } from '../config/resilience-settings';
import type { SharedStateStore } from '../ports/shared-state-store';
import { Bulkhead } from '../strategies/bulkhead/bulkhead';
import { KeyCircuit } from '../strategies/circuit-breaker/key-circuit';
import { ColdStartGate } from '../strategies/rate-limit/cold-start';
import { KeyCooldown } from '../strategies/rate-limit/cooldown';
import { KeyPacing } from '../strategies/rate-limit/request-pacing';
import { KeyBudget } from '../strategies/retry-budget/key-budget';
import type { KeyIdentity } from '../strategies/stage';

/**
 * What every call to one upstream (one key) shares in this process: one piece of state per
 * strategy — its circuit, retry budget, bulkhead, cooldown, request pacing and cold-start
 * gate — each created on first use (the first options given for a key win). The stages of
 * each call (engine/call-stages.ts) read and change it; replica-sync applies what other
 * replicas report to it.
 */
export class Upstream implements KeyIdentity {
  /** A cooldown, from any caller or replica, pauses the key's pacing: its waiting callers resume after it, in order. */
  readonly cooldown = new KeyCooldown((untilMs) => this.pacing.limiter?.pause(untilMs, Date.now()));
  readonly circuit = new KeyCircuit(this);
  readonly budget = new KeyBudget(this);
  readonly coldStart: ColdStartGate = new ColdStartGate(
    () => this.store() !== undefined,
    () => this.pacing.limiter !== undefined,
  );
  // Paced from the moment the limit is known: the attempts held at a cold start go, in their turn.
  readonly pacing: KeyPacing = new KeyPacing(this, () => this.coldStart.warmUp());
  private bulkheadState: Bulkhead | undefined;
  /** Option sets that differed from the first registration, already reported. */
  readonly reportedConflicts = new Set<string>();
  /** The store this key shares its state through when not the configured one (`bindStateStore`). */
  boundStore: SharedStateStore | undefined;

  constructor(readonly key: string) {}

  /** The store the key's state is shared through, if any. */
  store(): SharedStateStore | undefined {
    return this.boundStore ?? configuredStateStore();
  }

  /** The key's bulkhead, created with `options` on first use. */
  bulkhead(options: { maxConcurrency: number; queueLimit: number }): Bulkhead {
    return (this.bulkheadState ??= new Bulkhead({ ...options, key: this.key }));
  }

  /** The key's bulkhead, if some caller created one. */
  existingBulkhead(): Bulkhead | undefined {
    return this.bulkheadState;
  }

  /**
   * True when a first attempt on the key may run bare (the lean path): no pacing, no
   * cooldown, no breaker (created by any caller of the key), no cold start to wait out.
   */
  mayRunBare(): boolean {
    return (
      this.pacing.limiter === undefined &&
      this.cooldown.untilMs === 0 &&
      this.circuit.existing() === undefined &&
      (this.coldStart.warm || !this.coldStart.isCold())
    );
  }
}

const upstreams = new Map<string, Upstream>();

/** @internal The shared state of `key`. */
export function upstreamFor(key: string): Upstream {
  let upstream = upstreams.get(key);
  if (upstream === undefined) {
    upstream = new Upstream(key);
    upstreams.set(key, upstream);
  }
  return upstream;
}

/** @internal The state of `key` if this process has any, without creating it. */
export function existingUpstream(key: string): Upstream | undefined {
  return upstreams.get(key);
}

/** @internal Every key's state (the circuit-state gauge reads it). */
export function knownKeys(): IterableIterator<Upstream> {
  return upstreams.values();
}

/** @internal Forgets one key (`resetUpstream`): true when it was known. */
export function forgetUpstream(key: string): boolean {
  const upstream = upstreams.get(key);
  if (upstream === undefined) return false;
  upstream.coldStart.warmUp();
  bumpHoldEpoch();
  return upstreams.delete(key);
}

/** @internal Forgets every key (`resetResilience`); nobody stays held by a cold start of a forgotten key. */
export function forgetUpstreams(): void {
  for (const upstream of upstreams.values()) upstream.coldStart.warmUp();
  upstreams.clear();
  bumpHoldEpoch();
}
