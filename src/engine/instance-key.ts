import { createHash } from 'node:crypto';
import { originAndPath } from '../internal/origin-and-path';

/**
 * The part of a default key that tells instances of one class apart by the upstream their
 * clients reach. A decorated instance holding an openai `OpenAI` / `AzureOpenAI` client (an own
 * property with a string `baseURL`) gets `|<origin + path>` per client, plus `|<deployment>`
 * for Azure and `|k:<8 hex>` (a short SHA-256 of the API key: different keys, different rate
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
    part += `|k:${createHash('sha256').update(client.apiKey).digest('hex').slice(0, 8)}`;
  }
  return part;
}
