/**
 * @internal A number that changes whenever some key gains state that may hold a call back (a
 * 429 cooldown, request pacing, a circuit breaker), a key is forgotten, or the settings change.
 * The engine's lean path remembers "a first attempt of this method on this instance may run
 * bare" for one value of it: the success path then decides with one comparison instead of
 * reading every strategy's state, and a change on any key makes every method decide again.
 * (State that only lets calls go again, such as an expired cooldown, need not change it: the
 * lean path never remembers a "no".)
 */
export const holdEpoch = { value: 0 };

/** Something that may hold calls back appeared (see `holdEpoch`). */
export function bumpHoldEpoch(): void {
  // Stays a small integer (V8 keeps the field untagged); a wrap-around would need 2^30 changes
  // between two calls of one method for a stale decision to match.
  holdEpoch.value = (holdEpoch.value + 1) & 0x3fffffff;
}
