// Compile-time assertions for the type tests in this folder. They are checked by `tsc` in
// `npm run typecheck` (both decorator modes); nothing here runs.

/** True when A and B are the same type (not merely assignable to each other). */
export type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Fails to compile unless its type argument is `true`: `expectTrue<Equals<X, Y>>()`. */
export function expectTrue<T extends true>(): T | void {}
