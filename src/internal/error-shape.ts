/**
 * Safe readers for thrown values of unknown shape: they never throw (getters, proxies,
 * revoked objects) and walk `cause` chains with a bound, so cyclic chains terminate.
 */

/** How deep to follow `cause` links: real chains are 2-3 deep (openai -> fetch failed -> socket error). */
export const MAX_CAUSE_DEPTH = 8;

/**
 * `[error, error.cause, error.cause.cause, ...]`, objects only, at most `MAX_CAUSE_DEPTH` links,
 * stopping at the first repeat so cyclic chains terminate.
 */
export function causeChain(error: unknown): object[] {
  const chain: object[] = [];
  let current: unknown = error;
  while (isObjectLike(current) && chain.length < MAX_CAUSE_DEPTH && !chain.includes(current)) {
    chain.push(current);
    current = readProperty(current, 'cause');
  }
  return chain;
}

/** A property read that never throws (getters, proxies) and is `undefined` for primitives. */
export function readProperty(value: unknown, key: string): unknown {
  if (!isObjectLike(value)) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

export function readString(value: unknown, key: string): string | undefined {
  const property = readProperty(value, key);
  return typeof property === 'string' ? property : undefined;
}

/** An own property, present even when `undefined` (openai's APIError assigns all its fields). */
export function hasOwnProperty(value: unknown, key: string): boolean {
  if (!isObjectLike(value)) return false;
  try {
    return Object.prototype.hasOwnProperty.call(value, key);
  } catch {
    return false;
  }
}

/** `error.constructor.name`, safely; the class name is all openai's errors expose (their `name` is `'Error'`). */
export function constructorName(value: unknown): string | undefined {
  return readString(readProperty(value, 'constructor'), 'name');
}

export function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
