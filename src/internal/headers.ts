/** Upper bound on header entries scanned, so a hostile or huge header bag cannot stall classification. */
const MAX_SCANNED_ENTRIES = 512;

/**
 * Reads one response header, case-insensitively, from whatever header bag a client exposes:
 * a WHATWG `Headers` (openai >= 5, fetch), an Azure `HttpHeaders` (core-rest-pipeline; both
 * have `.get(name)`), a `Map`, or a plain object (openai 4, Node's `IncomingHttpHeaders`),
 * where an array value yields its first element.
 * Returns `undefined` when absent or unreadable; never throws.
 */
export function readHeader(headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const wanted = name.toLowerCase();
  try {
    const bag = headers as { get?: unknown; [Symbol.iterator]?: unknown };
    if (typeof bag.get === 'function') {
      const value = toHeaderString((bag.get as (key: string) => unknown).call(headers, wanted));
      if (value !== undefined) return value;
      // A plain `Map` keys case-sensitively, so `get` may miss a differently-cased key.
      if (typeof bag[Symbol.iterator] === 'function') return scanEntries(headers as Iterable<unknown>, wanted);
      return undefined;
    }
    if (typeof bag[Symbol.iterator] === 'function') return scanEntries(headers as Iterable<unknown>, wanted);
    let scanned = 0;
    for (const key of Object.keys(headers)) {
      if (++scanned > MAX_SCANNED_ENTRIES) break;
      if (key.toLowerCase() === wanted) return toHeaderString((headers as Record<string, unknown>)[key]);
    }
  } catch {
    // A throwing getter or a broken iterator means "no such header".
  }
  return undefined;
}

/** The first non-empty header among `names`, tried in order. */
export function readFirstHeader(headers: unknown, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = readHeader(headers, name);
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

function scanEntries(entries: Iterable<unknown>, wanted: string): string | undefined {
  let scanned = 0;
  for (const entry of entries) {
    if (++scanned > MAX_SCANNED_ENTRIES) break;
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
    if (entry[0].toLowerCase() === wanted) return toHeaderString(entry[1]);
  }
  return undefined;
}

function toHeaderString(value: unknown): string | undefined {
  return Array.isArray(value) ? scalarToString(value[0]) : scalarToString(value);
}

function scalarToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
