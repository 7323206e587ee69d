/**
 * What changes the hold epoch (src/internal/hold-epoch.ts): the lean path trusts a remembered
 * "this first attempt may run bare" only while it stays the same, so everything that can hold
 * a call back must change it, and what only lets calls go again need not.
 */
import { configureResilience, resetResilience, resetUpstream } from '../../src';
import { holdEpoch } from '../../src/internal/hold-epoch';
import { validateCircuitBreakerOptions } from '../../src/strategies/circuit-breaker/circuit-breaker-options';
import { KeyCircuit } from '../../src/strategies/circuit-breaker/key-circuit';
import { KeyCooldown } from '../../src/strategies/rate-limit/cooldown';
import { KeyPacing } from '../../src/strategies/rate-limit/request-pacing';
import { upstreamFor } from '../../src/upstreams/per-key-state';

afterEach(() => resetResilience());

const key = { key: 'k', store: () => undefined };
const breakerOptions = () => validateCircuitBreakerOptions({}).value!;
const LIMIT = { 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '599' };

/** Whether `act` changed the epoch (after `arrange`). */
function changes<T>(arrange: () => T, act: (subject: T) => void): boolean {
  const subject = arrange();
  const before = holdEpoch.value;
  act(subject);
  return holdEpoch.value !== before;
}

/** A fresh pacing that has learned a limit already. */
function pacedKey(): KeyPacing {
  const pacing = new KeyPacing(key, () => {});
  pacing.observeResponse(LIMIT);
  return pacing;
}

/** A fresh circuit that has its breaker already. */
function circuitWithBreaker(): KeyCircuit {
  const circuit = new KeyCircuit(key);
  circuit.breaker(breakerOptions());
  return circuit;
}

const cooldownUntil = (untilMs: number) => Object.assign(new KeyCooldown(), { untilMs });

const ROWS: Array<{ what: string; changesIt: boolean; run: () => boolean }> = [
  {
    what: 'a cooldown starts',
    changesIt: true,
    run: () =>
      changes(
        () => new KeyCooldown(),
        (c) => c.extend(Date.now() + 1000),
      ),
  },
  {
    what: 'a cooldown is pushed later',
    changesIt: true,
    run: () =>
      changes(
        () => cooldownUntil(Date.now() + 1000),
        (c) => c.extend(Date.now() + 2000),
      ),
  },
  {
    what: 'a cooldown asks for less than the one running',
    changesIt: false,
    run: () =>
      changes(
        () => cooldownUntil(Date.now() + 2000),
        (c) => c.extend(Date.now() + 1000),
      ),
  },
  {
    what: 'a cooldown that is not a number',
    changesIt: false,
    run: () =>
      changes(
        () => new KeyCooldown(),
        (c) => c.extend(NaN),
      ),
  },
  {
    what: 'a cooldown expires',
    changesIt: false,
    run: () =>
      changes(
        () => cooldownUntil(Date.now() - 1),
        (c) => c.leftMs(Date.now()),
      ),
  },
  {
    what: 'the first rate limit is learned (pacing starts)',
    changesIt: true,
    run: () =>
      changes(
        () => new KeyPacing(key, () => {}),
        (p) => p.observeResponse(LIMIT),
      ),
  },
  {
    what: 'a later reading of a paced key',
    changesIt: false,
    run: () => changes(pacedKey, (p) => p.observeResponse(LIMIT)),
  },
  {
    what: 'a response without a limit',
    changesIt: false,
    run: () =>
      changes(
        () => new KeyPacing(key, () => {}),
        (p) => p.observeResponse({}),
      ),
  },
  {
    what: 'the key gets a breaker',
    changesIt: true,
    run: () =>
      changes(
        () => new KeyCircuit(key),
        (c) => c.breaker(breakerOptions()),
      ),
  },
  {
    what: 'the breaker it has is asked for again',
    changesIt: false,
    run: () => changes(circuitWithBreaker, (c) => c.breaker(breakerOptions())),
  },
  {
    what: 'a known key is forgotten',
    changesIt: true,
    run: () =>
      changes(
        () => upstreamFor('hold-epoch'),
        () => resetUpstream('hold-epoch'),
      ),
  },
  {
    what: 'an unknown key is "forgotten"',
    changesIt: false,
    run: () =>
      changes(
        () => undefined,
        () => resetUpstream('never-seen'),
      ),
  },
  {
    what: 'the settings change',
    changesIt: true,
    run: () =>
      changes(
        () => undefined,
        () => configureResilience({}),
      ),
  },
  {
    what: 'the settings are reset',
    changesIt: true,
    run: () =>
      changes(
        () => undefined,
        () => resetResilience(),
      ),
  },
];

describe('the hold epoch', () => {
  it.each(ROWS)('$what: changes it = $changesIt', ({ changesIt, run }) => {
    expect(run()).toBe(changesIt);
  });

  it('stays a small integer, wrapping before 2^30', () => {
    const saved = holdEpoch.value;
    holdEpoch.value = 0x3fffffff;
    new KeyCooldown().extend(Date.now() + 1000);
    expect(holdEpoch.value).toBe(0);
    holdEpoch.value = saved;
  });
});
