/**
 * Credentials llm-resilience knows this process uses: the API keys it handed to an SDK client
 * (`LLMServiceFactory`), and the ones the SDKs read from the environment by default. A server
 * may echo a key anywhere, in any shape (a request-id header, an error body): text from outside
 * that contains one is scrubbed (`redactText`) and never taken for a request id. The patterns
 * for key-shaped text catch `sk-…` and Azure keys; these literals catch a key of any shape.
 */

/** What the SDKs read when given no key (openai, AzureOpenAI). */
const ENVIRONMENT_KEYS = ['OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY'] as const;
/** Shorter values are not credentials worth the name, and would scrub ordinary words. */
const MIN_LENGTH = 8;
/** Bounded: the least recently handed over is forgotten first (a process rotating keys keeps the ones in use). */
const MAX_REMEMBERED = 256;

const remembered = new Set<string>();

/** @internal Remembers `value` (an API key handed to an SDK) as a secret, as the most recently used. */
export function rememberSecret(value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_LENGTH) return;
  if (remembered.delete(value)) {
    remembered.add(value);
    return;
  }
  if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.values().next().value as string);
  remembered.add(value);
}

/** @internal The secrets known now (the environment is read each time: it may change). */
export function knownSecrets(): string[] {
  const found = [...remembered];
  for (const name of ENVIRONMENT_KEYS) {
    const value = process.env[name]?.trim();
    if (value !== undefined && value.length >= MIN_LENGTH && !remembered.has(value)) found.push(value);
  }
  return found;
}

/** @internal True when `text` contains a known secret. */
export function containsKnownSecret(text: string): boolean {
  return knownSecrets().some((secret) => text.includes(secret));
}

/** @internal `text` with every known secret replaced by `placeholder`. */
export function withoutKnownSecrets(text: string, placeholder: string): string {
  return replaceLiterals(text, knownSecrets(), placeholder);
}

/**
 * @internal `text` with every occurrence of each of `literals` replaced by `placeholder`,
 * longest first (a secret that contains another is replaced whole).
 */
export function replaceLiterals(text: string, literals: readonly string[], placeholder: string): string {
  let result = text;
  for (const literal of [...literals].sort((a, b) => b.length - a.length)) {
    if (literal !== '' && result.includes(literal)) result = result.split(literal).join(placeholder);
  }
  return result;
}

/** @internal Tests: forgets the remembered secrets. */
export function forgetSecrets(): void {
  remembered.clear();
}
