import type { Fault } from './fault-spec';
import { mulberry32 } from './mulberry32';

export interface FaultScheduleOptions {
  /** Request i gets `script[i]` while the script lasts. */
  script: readonly Fault[];
  /** After the script: the share of requests, in [0, 1], that get a random fault. */
  faultRate: number;
  /** What a random fault is drawn from (uniformly). */
  faults: readonly Fault[];
  seed: number;
}

/**
 * Decides the fault of each chat request: the script first, entry by entry; once it is
 * used up, random mode (which, with the default `faultRate` 0, is always `ok`).
 *
 * The PRNG is only drawn from in random mode, so the random sequence depends on the seed
 * alone, not on how long the script was or on how many requests the rate limiter refused.
 */
export class FaultSchedule {
  private script: readonly Fault[];
  private position = 0;
  private readonly random: () => number;
  private readonly ok: Fault = { kind: 'ok', spec: 'ok' };

  constructor(private readonly options: FaultScheduleOptions) {
    this.script = options.script;
    this.random = mulberry32(options.seed);
  }

  /** Replaces the script and restarts from its first entry. */
  setScript(script: readonly Fault[]): void {
    this.script = script;
    this.position = 0;
  }

  /** The fault of the next request (consumes a script entry or PRNG draws). */
  next(): Fault {
    if (this.position < this.script.length) return this.script[this.position++];
    const { faultRate, faults } = this.options;
    if (faultRate <= 0 || faults.length === 0) return this.ok;
    // Two draws per request, always, so the sequence does not shift with the outcome.
    const roll = this.random();
    const pick = Math.floor(this.random() * faults.length);
    return roll < faultRate ? faults[pick] : this.ok;
  }
}
