import { pbkdf2Sync } from 'node:crypto';
import { rememberSecret } from '../internal/known-secrets';
import { originAndPath } from '../internal/origin-and-path';

/**
 * The part of a default key that tells instances of one class apart by the upstream their
 * clients reach. A decorated instance holding an openai `OpenAI` / `AzureOpenAI` client (an own
 * property with a string `baseURL`) gets `|<origin + path>` per client, plus `|<deployment>`
 * for Azure and `|k:<8 hex>` (a short, slow hash of the API key: different keys, different rate
 * limits) when it has a key; derived once per instance (by shape, cached). Instances whose
 * clients are configured alike share the key; an instance without such a client adds nothing
 * (the key stays `ClassName.method`).
 */
const suffixes = new WeakMap<object, string>();

/** At most this many own properties are looked at (a huge object is not scanned on a call). */
const MAX_PROPERTIES = 64;

export function instanceKeySuffix(thisArg: unknown): string {
  if (typeof thisArg !== 'object' || thisArg === null) return '';
  let suffix = suffixes.get(thisArg);
  if (suffix === undefined) {
    suffix = deriveSuffix(thisArg);
    suffixes.set(thisArg, suffix);
  }
  return suffix;
}

function deriveSuffix(instance: object): string {
  let suffix = '';
  let looked = 0;
  for (const property of Object.keys(instance)) {
    if (++looked > MAX_PROPERTIES) break;
    let value: unknown;
    try {
      value = (instance as Record<string, unknown>)[property];
    } catch {
      continue;
    }
    suffix += clientPart(value);
  }
  return suffix;
}

/** `|origin/path[|deployment][|k:hash]` for an openai-shaped client, else ''. */
function clientPart(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const client = value as { baseURL?: unknown; apiKey?: unknown; deploymentName?: unknown; chat?: unknown };
  if (typeof client.baseURL !== 'string' || typeof client.chat !== 'object') return '';
  let part = `|${originAndPath(client.baseURL) ?? 'unparsable-url'}`;
  if (typeof client.deploymentName === 'string' && client.deploymentName !== '') part += `|${client.deploymentName}`;
  if (typeof client.apiKey === 'string' && client.apiKey !== '' && client.apiKey !== '<Missing Key>') {
    // A server may echo it, in any shape: scrubbed from what the library logs, traces and reports.
    rememberSecret(client.apiKey);
    part += `|k:${keyHash(client.apiKey)}`;
  }
  return part;
}

/** The hashes of the keys seen, least recently used forgotten first (computed once per key in use). */
const hashes = new Map<string, string>();
const MAX_HASHES = 4096;

/**
 * 8 hex digits of a slow hash (PBKDF2, ~2 ms once per key) of an API key. The key of an
 * upstream reaches Redis, trace events and spans: a fast hash would let anyone who reads it
 * find a short key by trying every candidate, or confirm a guessed one, within seconds.
 * The same on every replica (no random salt), so replicas share the key's state.
 */
function keyHash(apiKey: string): string {
  let hash = hashes.get(apiKey);
  if (hash !== undefined) {
    hashes.delete(apiKey); // most recently used: last
  } else {
    hash = pbkdf2Sync(apiKey, 'llm-resilience upstream key', 10_000, 4, 'sha256').toString('hex');
    if (hashes.size >= MAX_HASHES) hashes.delete(hashes.keys().next().value as string);
  }
  hashes.set(apiKey, hash);
  return hash;
}
