import type { AnyFunction } from '../internal/any-function';
import type { RetryPolicy } from '../engine/retry-policy';

/** The policy behind each decorated method's wrapper. */
const policies = new WeakMap<AnyFunction, RetryPolicy>();

/** @internal Remembers which policy a decorated method's wrapper runs. */
export function rememberPolicy(wrapper: AnyFunction, policy: RetryPolicy): void {
  policies.set(wrapper, policy);
}

/**
 * The upstream key the calls of `instance[method]` use (what `getUpstreamState` and
 * `resetUpstream` take), or undefined when that method is not decorated by this library. The
 * default key is derived from the instance's client (base URL, deployment, a hash of the API
 * key): this is how to learn it. A `key` function that depends on the call's arguments is
 * asked with none.
 *
 * @example
 * ```ts
 * const key = upstreamKeyOf(agent, 'complete'); // 'ChatAgent.complete|https://api.openai.com/v1|k:3f2a9c1e'
 * if (getUpstreamState(key!)?.circuit?.state === 'open') ...
 * ```
 */
export function upstreamKeyOf(instance: object, method: string | symbol): string | undefined {
  const wrapper = (instance as Record<string | symbol, unknown>)[method];
  if (typeof wrapper !== 'function') return undefined;
  return policies.get(wrapper as AnyFunction)?.keyFor(instance, []);
}
