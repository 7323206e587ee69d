/**
 * Where the Redis state store keeps what replicas share. Every name starts with the store's
 * `prefix` (default `llm-resilience:`), after the client's own ioredis `keyPrefix` if it has
 * one, so one Redis can serve several applications or environments side by side.
 *
 * | name                     | type            | holds                                                                      | TTL                                        |
 * |--------------------------|-----------------|----------------------------------------------------------------------------|--------------------------------------------|
 * | `<prefix>cooldown:<key>` | string          | the latest rate-limit deadline of `key` (epoch ms)                         | until that deadline                        |
 * | `<prefix>breaker:<key>`  | hash            | shared circuit: `state`, `openUntil`, `failures`, `reopenings`, `probe`, `probeUntil`, `f:<n>`/`t:<n>` window buckets (ratio mode) | max(sampling window, longest open wait) + 60 s after the last outcome |
 * | `<prefix>budget:<key>`   | hash            | shared retry budget: `tokens` (a missing bucket is full)                   | 15 min after the last change               |
 * | `<prefix>replicas:<key>` | sorted set      | replicas sending to the paced `key` (member: replica id, score: last seen) | 10 s after the last announcement           |
 * | `<prefix>limit:<key>`    | string          | the rate limit learned for `key` (`x-ratelimit-limit-requests`, per minute) | 1 h after it was last learned              |
 * | `<prefix>events`         | pub/sub channel | JSON events `{ type, key, source, ... }`: `cooldown` (untilMs), `circuit` (state, openForMs, failures), `failing`, `budget` (tokens), `replicas` (count), `limit` (limitPerMinute) | — |
 *
 * `<key>` is the upstream key of the engine (the same key as the in-process state), used
 * verbatim. Deadlines inside the breaker hash are on Redis's clock (`TIME`), so replicas
 * with skewed clocks agree; events carry durations (`openForMs`) rather than deadlines,
 * except `cooldown`, whose deadline the replica that saw the 429 computed. Every key is
 * written with a TTL, so nothing is left behind when replicas stop. Each script touches one
 * key, so a Redis Cluster handles it on that key's slot.
 */
export interface KeyLayout {
  /** The store's prefix as given (without the client's `keyPrefix`). */
  readonly prefix: string;
  /** The pub/sub channel every replica listens to (channels are not given `keyPrefix`). */
  readonly eventsChannel: string;
  /** The key of `kind` for upstream `key`, as passed to a command (the client adds its `keyPrefix`). */
  keyOf(kind: StateKind, key: string): string;
  /** The SCAN pattern of every key of `kind`, as stored (with the client's `keyPrefix`). */
  pattern(kind: StateKind): string;
  /** The upstream key of a stored name of `kind` found by SCAN, or undefined if not one. */
  upstreamKeyOf(kind: StateKind, storedName: string): string | undefined;
}

/** What is kept per upstream key. */
export type StateKind = 'cooldown' | 'breaker' | 'budget' | 'replicas' | 'limit';

const EVENTS = 'events';

/** Escapes the glob characters of SCAN MATCH (`*`, `?`, `[`, `]`, `\`). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** @param clientKeyPrefix the ioredis `keyPrefix` the client adds to every key it sends. */
export function keyLayout(prefix: string, clientKeyPrefix = ''): KeyLayout {
  const stored = (kind: StateKind) => `${clientKeyPrefix}${prefix}${kind}:`;
  return {
    prefix,
    eventsChannel: `${prefix}${EVENTS}`,
    keyOf: (kind, key) => `${prefix}${kind}:${key}`,
    pattern: (kind) => `${escapeGlob(stored(kind))}*`,
    upstreamKeyOf: (kind, storedName) => {
      const start = stored(kind);
      return storedName.startsWith(start) ? storedName.slice(start.length) : undefined;
    },
  };
}
