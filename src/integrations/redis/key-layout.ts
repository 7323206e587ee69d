/**
 * Where the Redis state store keeps what replicas share. Every name starts with the store's
 * `prefix` (default `llm-resilience:`), after the client's own ioredis `keyPrefix` if it has
 * one, so one Redis can serve several applications or environments side by side.
 *
 * | name                          | type                | holds                                                              |
 * |-------------------------------|---------------------|--------------------------------------------------------------------|
 * | `<prefix>cooldown:<key>`      | string, PX TTL      | the latest rate-limit deadline of `key` (epoch ms); expires with it |
 * | `<prefix>events`              | pub/sub channel     | JSON events: `{ "type": "cooldown", "key", "untilMs", "source" }`  |
 *
 * Planned (circuit breaker and retry budget sharing; not written yet):
 *
 * | name                          | type                | will hold                                                          |
 * |-------------------------------|---------------------|--------------------------------------------------------------------|
 * | `<prefix>breaker:<key>`       | hash, PX TTL        | state (closed/open/half_open), failure window counts, openedAt      |
 * | `<prefix>probe:<key>`         | string, SET NX PX   | the replica holding the half-open probe (only one at a time)        |
 * | `<prefix>budget:<key>`        | hash, PX TTL        | retry budget tokens and refill time, updated by a Lua script        |
 *
 * `<key>` is the upstream key of the engine (the same key as the in-process state), used
 * verbatim. Every key is written with a TTL, so nothing is left behind when replicas stop.
 * In a Redis Cluster each key is handled by its own slot; scripts touch one key at a time.
 */
export interface KeyLayout {
  /** The store's prefix as given (without the client's `keyPrefix`). */
  readonly prefix: string;
  /** The pub/sub channel every replica listens to (channels are not given `keyPrefix`). */
  readonly eventsChannel: string;
  /** The cooldown key of `key`, as passed to a command (the client adds its `keyPrefix`). */
  cooldownKey(key: string): string;
  /** The SCAN pattern of every cooldown key, as stored (with the client's `keyPrefix`). */
  readonly cooldownPattern: string;
  /** The upstream key of a cooldown key found by SCAN (stored name), or undefined if not one. */
  keyOfStoredCooldown(storedName: string): string | undefined;
}

const COOLDOWN = 'cooldown:';
const EVENTS = 'events';

/** Escapes the glob characters of SCAN MATCH (`*`, `?`, `[`, `]`, `\`). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** @param clientKeyPrefix the ioredis `keyPrefix` the client adds to every key it sends. */
export function keyLayout(prefix: string, clientKeyPrefix = ''): KeyLayout {
  const storedCooldownPrefix = `${clientKeyPrefix}${prefix}${COOLDOWN}`;
  return {
    prefix,
    eventsChannel: `${prefix}${EVENTS}`,
    cooldownKey: (key) => `${prefix}${COOLDOWN}${key}`,
    cooldownPattern: `${escapeGlob(storedCooldownPrefix)}*`,
    keyOfStoredCooldown: (storedName) =>
      storedName.startsWith(storedCooldownPrefix) ? storedName.slice(storedCooldownPrefix.length) : undefined,
  };
}
