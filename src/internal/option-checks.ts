/** One violated rule of a configuration. */
export interface RetryConfigIssue {
  /** The field (or environment variable, or `Class.method: field`) that broke a rule. */
  field: string;
  /** The whole sentence, naming the field and the rule. */
  message: string;
}

// Small checks shared by every options validator: RetryConfig, AgentConfig and the nested
// policy options (`circuitBreaker`, `retryBudget`).

/** An object literal or `Object.create(null)`: class instances and arrays are not options. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * How a rejected value is quoted in a message, as in `(received ${describeReceived(value)})`:
 * a string quoted and cut at 40 characters (a URL with a user part or a query by its scheme
 * and length only: it may carry a credential), a number, boolean, null or undefined as is,
 * and anything else by its kind (`an array`, `an object`, `an instance of Date`, `a function`),
 * never its content. Not for a credential: quote nothing of those.
 */
export function describeReceived(value: unknown): string {
  if (typeof value === 'string') {
    // A URL with a user part or a query may carry a credential (`redis://user:secret@host`,
    // `?api-key=`): named by its scheme only.
    const url = /^([a-z][a-z0-9+.-]*:)\/\/(?:[^/?#]*@|[^?#]*[?#])/i.exec(value);
    if (url !== null) return `a "${url[1].toLowerCase()}" URL (${value.length} characters)`;
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const prototype: unknown = Object.getPrototypeOf(value);
  const name = prototype === null ? undefined : (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  return prototype !== Object.prototype && typeof name === 'string' && name !== '' && name !== 'Object'
    ? `an instance of ${name}`
    : 'an object';
}

/** A safe integer from `min` to `max`: rejects NaN, Infinity, fractions and non-numbers. */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/**
 * One issue per key that is not an option, with a suggestion when it looks like a typo
 * (`circuitBreaker.failureTreshold is not a circuit breaker option (did you mean failureThreshold?)`).
 */
export function unknownKeyIssues(
  input: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  what: string,
): RetryConfigIssue[] {
  const issues: RetryConfigIssue[] = [];
  for (const key of Object.keys(input)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestName(key, allowed);
    issues.push({
      field: `${path}.${key}`,
      message: `${path}.${key} is not a ${what} option${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
    });
  }
  return issues;
}

/** The candidate nearest to `name` by edit distance, when near enough to be a typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/**
 * Field-by-field equality of two resolved option objects (a missing field equals
 * `undefined`), so a registry can tell whether a second registration asked for other settings.
 */
export function sameOptions(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (!Object.is(left[key], right[key])) return false;
  }
  return true;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
