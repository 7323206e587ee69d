/** Outcome counts over the window at one moment. */
export interface WindowCount {
  failures: number;
  total: number;
}

/**
 * Outcomes over (roughly) the last `durationMs`, kept in a fixed ring of time buckets so
 * memory stays O(1) whatever the call rate. Each bucket covers `durationMs / bucketCount`;
 * a bucket is reused (and cleared) when time reaches its slot again, so the window slides
 * one bucket at a time and covers between `(bucketCount - 1) / bucketCount` of
 * `durationMs` and all of it.
 */
export class FailureWindow {
  private readonly bucketMs: number;
  /** The time slice (`floor(time / bucketMs)`) each bucket currently holds; NaN when empty. */
  private readonly slices: Float64Array;
  private readonly failures: Float64Array;
  private readonly totals: Float64Array;

  constructor(
    durationMs: number,
    private readonly bucketCount = 10,
  ) {
    this.bucketMs = durationMs / bucketCount;
    this.slices = new Float64Array(bucketCount).fill(NaN);
    this.failures = new Float64Array(bucketCount);
    this.totals = new Float64Array(bucketCount);
  }

  /** Adds one outcome at time `now`. */
  record(now: number, failed: boolean): void {
    const slice = Math.floor(now / this.bucketMs);
    if (!Number.isFinite(slice)) return; // a broken clock must not poison the counts
    const index = ((slice % this.bucketCount) + this.bucketCount) % this.bucketCount;
    if (this.slices[index] !== slice) {
      this.slices[index] = slice;
      this.failures[index] = 0;
      this.totals[index] = 0;
    }
    this.totals[index] += 1;
    if (failed) this.failures[index] += 1;
  }

  /** The outcomes recorded in the buckets still inside the window at time `now`. */
  count(now: number): WindowCount {
    const current = Math.floor(now / this.bucketMs);
    let failures = 0;
    let total = 0;
    for (let i = 0; i < this.bucketCount; i++) {
      const slice = this.slices[i];
      // NaN compares false, so empty buckets drop out; so do slices "from the future"
      // should the clock step backwards.
      if (slice <= current && slice > current - this.bucketCount) {
        failures += this.failures[i];
        total += this.totals[i];
      }
    }
    return { failures, total };
  }

  /** Forgets everything: a circuit that closes again starts from a clean slate. */
  reset(): void {
    this.slices.fill(NaN);
  }
}
