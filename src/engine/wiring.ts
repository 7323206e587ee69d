import { onResilienceConfigure, onResilienceReset } from '../config/resilience-settings';
import { setInstrumentationDetector } from '../observability/call-instrumentation';
import { detectOpenTelemetry, registerCircuitStateSource } from '../observability/opentelemetry';
import { forgetUpstreams, knownKeys } from '../upstreams/per-key-state';
import { followConfiguredStore, forgetReplicaState } from '../upstreams/replica-sync';

/*
 * The engine's connections to the settings, the shared-state store and OpenTelemetry, in
 * one place: no module subscribes to anything as a side effect of being imported.
 * `wireEngine()` runs once, when the first retry policy is built (a decorated method
 * defined, a pipeline created) — before any call can need them.
 */

let wired = false;

/** @internal Connects the engine once (idempotent). */
export function wireEngine(): void {
  if (wired) return;
  wired = true;
  // What other replicas share reaches the per-key state: subscribe to the configured store
  // now (it may have been configured before the first decorated class was defined) and
  // whenever the settings change.
  followConfiguredStore();
  onResilienceConfigure(followConfiguredStore);
  onResilienceReset(() => {
    forgetReplicaState();
    forgetUpstreams();
  });
  // OpenTelemetry is looked for when first needed, and again after the settings change (so an
  // SDK registered after the library was loaded is found by the next configureResilience()).
  setInstrumentationDetector(detectOpenTelemetry);
  onResilienceConfigure(() => setInstrumentationDetector(detectOpenTelemetry));
  registerCircuitStateSource(() => {
    const states: Array<{ key: string; state: 'closed' | 'open' | 'half_open' }> = [];
    for (const upstream of knownKeys()) {
      const state = upstream.circuit.state();
      if (state !== undefined) states.push({ key: upstream.key, state });
    }
    return states;
  });
}
