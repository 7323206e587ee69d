/**
 * A draw of `random` in [0, 1]: a broken random source (NaN, Infinity, out of range) must not
 * make a delay NaN, negative or unbounded.
 */
export function unitRandom(random: () => number): number {
  const value = random();
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}
