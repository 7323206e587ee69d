/**
 * Any function the engine wraps or runs with `Reflect.apply`: a decorated method, whatever
 * its parameters. (`Function` would also admit classes; the parameters are `any` because
 * no narrower type is a supertype of every method's.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;
