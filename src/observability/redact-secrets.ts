/**
 * Secret and prompt redaction for everything llm-resilience logs.
 *
 * Retry logs are written while handling failures, which is exactly when request options,
 * headers and SDK errors (that may echo them) end up in log metadata. Every value therefore
 * passes through three filters: the name of the key that holds it, the kind of payload
 * (prompt/completion text is user data, not diagnostics) and text patterns for credentials
 * embedded in free text (error messages, URLs, serialized bodies). A string that holds a
 * serialized JSON body (axios' `config.data`, a `body` or `requestBody` field, a formatted
 * line) is parsed and redacted by the same key rules, then serialized again.
 */
import { types } from 'node:util';
import winston from 'winston';
import { replaceLiterals, withoutKnownSecrets } from '../internal/known-secrets';

export const REDACTED = '[REDACTED]';
export const REDACTED_PROMPT = '[REDACTED PROMPT]';
/**
 * Replaces a whole string that looks like a JSON body naming a prompt or credential field but
 * cannot be parsed (e.g. a body cut short), so cannot be redacted field by field.
 */
export const REDACTED_BODY = '[REDACTED BODY]';

/**
 * Keys whose values are credentials. Matching ignores case and `-`/`_`, so `apiKey`, `api_key`
 * and `API-KEY` are the same key.
 */
export const SENSITIVE_KEYS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'api-key',
  'apiKey',
  'api_key',
  'x-api-key',
  'key',
  'credential',
  'credentials',
  'subscriptionKey',
  'subscription-key',
  'ocp-apim-subscription-key',
  'password',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'cookie',
  'set-cookie',
]);

/**
 * Key endings that are credentials whatever their prefix (`openaiApiKey`, `dbPassword`,
 * `azureAccessToken`). `token` alone is not a suffix: `total_tokens`-like usage counters and
 * `cancellationToken` are diagnostics, not secrets.
 */
const SENSITIVE_KEY_SUFFIXES: readonly string[] = [
  'apikey',
  'secret',
  'password',
  'accesstoken',
  'refreshtoken',
  'subscriptionkey',
  'credential',
  'credentials',
];

/**
 * Keys holding prompt or completion text (OpenAI chat, completions, responses and embeddings
 * APIs, search and agent inputs). Matched like `SENSITIVE_KEYS`, so `userInput` is `user_input`.
 */
export const PROMPT_KEYS: readonly string[] = Object.freeze([
  'messages',
  'prompt',
  'content',
  'input',
  'completion',
  'instructions',
  'text',
  'query',
  'user_input',
]);

/** Options of `redactSecrets()`. */
export interface RedactSecretsOptions {
  /**
   * More key names whose values are replaced (same matching as `SENSITIVE_KEYS`).
   * @default []
   */
  extraKeys?: string[];
  /**
   * Literal values (e.g. the configured API key) replaced wherever they occur in strings.
   * @default []
   */
  secrets?: string[];
  /**
   * Nesting below this depth is replaced by `'[Truncated]'`.
   * @default 10
   */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 10;

// Symbols winston and logform use for the level, the final formatted line and splat args.
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');
const SPLAT = Symbol.for('splat');

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_\s]/g, '');

// ---------------------------------------------------------------------------------------------
// Free-text patterns
// ---------------------------------------------------------------------------------------------

/** Already-redacted text must stay as it is, so running the redaction twice changes nothing. */
const NOT_REDACTED = '(?!\\[REDACTED)';

/**
 * Credential-carrying names as they appear in text (`api-key: x`, `"password":"x"`). The
 * optional prefix (`x-`, `ocp-apim-`, `AZURE_OPENAI_`, `client_`) lets one name cover a family;
 * the name must then be followed directly by `:` or `=`, so `total_tokens: 5` is not a match.
 * The prefix is bounded so that long identifier-like runs cannot make matching quadratic.
 */
const TEXT_KEY_NAME =
  '[A-Za-z0-9_.-]{0,40}?' +
  '(?:authorization|api[-_]?key|subscription[-_]?key|password|passwd|secret|token|account[-_]?key|shared[-_]?access[-_]?key)';

/** `"api-key": "value"`, `'token'='value'` and the same inside an escaped JSON string. */
const QUOTED_PAIR = new RegExp(
  `((?<![A-Za-z0-9])(\\\\?["'])?${TEXT_KEY_NAME}\\2\\s*[:=]\\s*(\\\\?["']))${NOT_REDACTED}(.*?)(\\3)`,
  'gi',
);

/** `Cookie: a=1; b=2`: the whole rest of the line, since `;` separates cookies, not headers. */
const COOKIE_HEADER = new RegExp(`((?<![A-Za-z0-9-])(?:set-)?cookie\\s*:\\s*)${NOT_REDACTED}[^\\r\\n]+`, 'gi');

/** `Authorization: Bearer x`, `api-key=x`, `AZURE_OPENAI_API_KEY=x`; an auth scheme stays visible. */
const AUTH_SCHEMES = '(?:Bearer|Basic|Digest|Token|SharedKey|SharedAccessSignature|Negotiate|NTLM)';
const UNQUOTED_PAIR = new RegExp(
  `((?<![A-Za-z0-9])${TEXT_KEY_NAME}\\s*[:=]\\s*)` +
    // Checked before the optional scheme: otherwise, on a second pass, `Bearer` itself would be
    // taken for the value of `Authorization: Bearer [REDACTED]`.
    `(?!(?:${AUTH_SCHEMES}\\s+)?\\[REDACTED)` +
    `(${AUTH_SCHEMES}\\s+)?[^\\s,;&"'<>(){}\\[\\]]+`,
  'gi',
);

/** URL query parameters that carry credentials (Azure `api-key`, SAS `sig`, OAuth `code`). */
const QUERY_PARAM = new RegExp(
  '([?&;](?:api[-_]?key|subscription[-_]?key|key|sig|signature|code|token|access_token|id_token|refresh_token|' +
    `client_secret|password)=)${NOT_REDACTED}[^&#\\s"'<>]+`,
  'gi',
);

/** `https://user:password@host` (bounded scheme and user lengths keep matching linear). */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/]{0,256}:)(?!\[REDACTED)[^\s@/]+@/gi;

const BEARER_TOKEN = new RegExp(`\\b(Bearer)\\s+${NOT_REDACTED}[A-Za-z0-9\\-._~+/]+=*`, 'gi');

/** JWTs (Entra ID / Azure AD access tokens) outside an Authorization header. */
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * OpenAI keys: `sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-` followed by base64url characters.
 * `sk-` must start a token (so `desk-top` or `task-sk` words are safe) and be followed by at
 * least 20 key characters, which prose does not produce.
 */
const OPENAI_KEY = /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}/g;

/**
 * Newer Azure AI services keys: 84 base62 characters in Microsoft's "common annotated security
 * key" layout, which carries the fixed signature `JQQJ9` + one of `9DH` at offset 52 (optionally
 * followed by two characters and `==`). The signature, not the length alone, is what is matched,
 * so long identifiers and words cannot be mistaken for a key.
 */
const AZURE_ANNOTATED_KEY = new RegExp(
  '(?<![A-Za-z0-9+/])[A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}[A-Za-z][A-Za-z0-9]{7}' +
    '(?:[A-Za-z0-9]{2}==)?(?![A-Za-z0-9+/])',
  'g',
);

/**
 * Classic Azure OpenAI / Cognitive Services keys: exactly 32 hex characters, no prefix. It must
 * mix digits and letters and stand alone: `_` and `-` neighbours are excluded so that OpenAI
 * request ids (`req_` + 32 hex) and W3C traceparent fields stay readable; 40- and 64-character
 * hashes are too long to match.
 */
const AZURE_HEX_KEY =
  /(?<![A-Za-z0-9_-])(?=[0-9a-fA-F]{0,31}[a-fA-F])(?=[0-9a-fA-F]{0,31}[0-9])[0-9a-fA-F]{32}(?![A-Za-z0-9_-])/g;

/**
 * Replaces credentials inside free text (error messages, URLs, serialized headers or bodies).
 * Ordinary prose, request ids and short hex values pass unchanged; applying it twice is the
 * same as applying it once.
 */
export function redactText(text: string): string {
  if (text.length === 0) return text;
  return withoutKnownSecrets(text, REDACTED)
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(QUOTED_PAIR, (...groups: string[]) => `${groups[1]}${REDACTED}${groups[5]}`) // head, value, closing quote
    .replace(COOKIE_HEADER, `$1${REDACTED}`)
    .replace(UNQUOTED_PAIR, (_match, head: string, scheme: string | undefined) => `${head}${scheme ?? ''}${REDACTED}`)
    .replace(QUERY_PARAM, `$1${REDACTED}`)
    .replace(BEARER_TOKEN, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(OPENAI_KEY, REDACTED)
    .replace(AZURE_ANNOTATED_KEY, REDACTED)
    .replace(AZURE_HEX_KEY, REDACTED);
}

// ---------------------------------------------------------------------------------------------
// Structured values
// ---------------------------------------------------------------------------------------------

interface Redactor {
  readonly maxDepth: number;
  isSensitiveKey(key: string): boolean;
  text(value: string): string;
}

interface Walk {
  readonly redactor: Redactor;
  /** Objects being copied right now: meeting one again means a cycle. */
  readonly inProgress: WeakSet<object>;
  /** Finished copies, so an object referenced twice (not cyclically) is copied once. */
  readonly copies: WeakMap<object, unknown>;
}

function createRedactor(options: RedactSecretsOptions): Redactor {
  const exact = new Set([...SENSITIVE_KEYS, ...(options.extraKeys ?? [])].map(normalizeKey));
  // The URL-encoded form is added because keys containing `+`, `/` or `=` appear encoded in
  // query strings (replaceLiterals: longest first, so a secret that contains another goes whole).
  const literals = [...new Set((options.secrets ?? []).flatMap((secret) => [secret, encodeURIComponent(secret)]))];

  return {
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    isSensitiveKey(key) {
      const normalized = normalizeKey(key);
      return exact.has(normalized) || SENSITIVE_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
    },
    text(value) {
      return redactText(replaceLiterals(value, literals, REDACTED));
    },
  };
}

const PROMPT_KEY_SET = new Set(PROMPT_KEYS.map(normalizeKey));

/** A prompt is summarized by its shape: how many messages were sent is useful, their text is not. */
function summarizePrompt(key: string, value: unknown): unknown {
  if (value === null || value === undefined || value === '') return value;
  if (typeof value === 'string' && value.startsWith('[REDACTED')) return value; // redacted already
  if (Array.isArray(value)) {
    const noun = normalizeKey(key) === 'messages' ? 'message' : 'item';
    return `[REDACTED ${value.length} ${noun}${value.length === 1 ? '' : 's'}]`;
  }
  if (typeof value === 'string' || typeof value === 'object') return REDACTED_PROMPT;
  return value; // numbers and booleans under these names are not text
}

const tagOf = (value: object): string => Object.prototype.toString.call(value);

/** `instanceof Error` fails across realms (jest, vm, undici); `isNativeError` does not. */
const isError = (value: object): value is Error => types.isNativeError(value) || value instanceof Error;

/** `Map` and WHATWG `Headers` (openai's `error.headers`) serialize to `{}`: list their entries. */
const isEntryCollection = (value: object): value is { forEach(cb: (v: unknown, k: unknown) => void): void } =>
  (tagOf(value) === '[object Map]' || tagOf(value) === '[object Headers]') &&
  typeof (value as { forEach?: unknown }).forEach === 'function';

function readProperty(source: object, key: PropertyKey): unknown {
  try {
    return (source as Record<PropertyKey, unknown>)[key];
  } catch {
    return '[Unreadable]'; // a throwing getter must not break logging
  }
}

function redactEntry(walk: Walk, target: Record<string, unknown>, key: string, value: unknown, depth: number): void {
  const { redactor } = walk;
  let redacted: unknown;
  if (redactor.isSensitiveKey(key)) {
    // Whether a credential was set at all is diagnostic information; its value is not.
    redacted = value === null || value === undefined ? value : REDACTED;
  } else if (PROMPT_KEY_SET.has(normalizeKey(key))) {
    redacted = summarizePrompt(key, value);
  } else {
    redacted = redactAny(walk, value, depth + 1);
  }
  target[redactor.text(key)] = redacted;
}

function copyOwnEnumerable(
  walk: Walk,
  source: object,
  target: Record<string, unknown>,
  depth: number,
  skip?: ReadonlySet<string>,
): void {
  for (const key of Object.keys(source)) {
    if (skip?.has(key)) continue;
    redactEntry(walk, target, key, readProperty(source, key), depth);
  }
}

/** Error fields are own but not enumerable, so JSON loggers drop them: the copy lists them. */
const ERROR_FIELDS: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function copyError(walk: Walk, error: Error, depth: number): Record<string, unknown> {
  // The prototype is kept so `instanceof` checks (logform's `errors()` format) still work.
  const copy = Object.create(Object.getPrototypeOf(error) as object | null) as Record<string, unknown>;
  walk.inProgress.add(error);
  for (const field of ERROR_FIELDS) {
    const present = field in error;
    if (!present) continue;
    const value = readProperty(error, field);
    if (value === undefined && field !== 'message') continue;
    redactEntry(walk, copy, field, value, depth);
  }
  copyOwnEnumerable(walk, error, copy, depth, ERROR_FIELDS);
  walk.inProgress.delete(error);
  return copy;
}

function redactObject(walk: Walk, value: object, depth: number): unknown {
  if (value instanceof Date || tagOf(value) === '[object Date]' || tagOf(value) === '[object RegExp]') {
    return value; // immutable for our purposes and cannot hold a credential worth matching
  }
  if (ArrayBuffer.isView(value) || tagOf(value) === '[object ArrayBuffer]') {
    const bytes = (value as ArrayBufferLike | ArrayBufferView).byteLength;
    return `[Binary ${bytes} bytes]`; // opaque bytes could hold anything and read as noise anyway
  }
  if (isError(value)) return copyError(walk, value, depth);

  walk.inProgress.add(value);
  let copy: unknown;
  if (Array.isArray(value)) {
    copy = value.map((item) => redactAny(walk, item, depth + 1));
  } else if (tagOf(value) === '[object Set]') {
    copy = [...(value as Set<unknown>)].map((item) => redactAny(walk, item, depth + 1));
  } else if (isEntryCollection(value)) {
    const entries: Record<string, unknown> = {};
    value.forEach((entryValue, entryKey) => redactEntry(walk, entries, String(entryKey), entryValue, depth));
    copy = entries;
  } else if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // Redact what a JSON logger would print (e.g. a URL's href), not the internal fields.
    let json: unknown;
    try {
      json = (value as { toJSON(): unknown }).toJSON();
    } catch {
      json = '[Unserializable]';
    }
    copy = json === value ? copyPlain(walk, value, depth) : redactAny(walk, json, depth);
  } else {
    copy = copyPlain(walk, value, depth);
  }
  walk.inProgress.delete(value);
  return copy;
}

function copyPlain(walk: Walk, value: object, depth: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  copyOwnEnumerable(walk, value, copy, depth);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Serialized JSON bodies inside strings
// ---------------------------------------------------------------------------------------------

/** Longer strings are not parsed (a body this large is replaced if it names a sensitive field). */
const MAX_JSON_CHARS = 1_000_000;

/** `"name":` or `\"name\":` (escaped inside another string): a field name as JSON writes it. */
const JSON_FIELD_NAME = /\\?"([A-Za-z_$][\w$ -]{0,63})\\?"\s*:/g;
/** The same, also with single quotes, for strings that are a body as a whole (JS literals). */
const BODY_FIELD_NAME = /\\?["']([A-Za-z_$][\w$ -]{0,63})\\?["']\s*:/g;
/** Where a JSON object or array starts inside other text: a bracket, then a quoted name or string. */
const JSON_BODY_START = /[[{]\s*\\?"/;

/** True when serialized text names a field whose value `redactEntry` would replace. */
function namesRedactedField(redactor: Redactor, text: string, pattern: RegExp): boolean {
  for (const [, name] of text.matchAll(pattern)) {
    if (redactor.isSensitiveKey(name) || PROMPT_KEY_SET.has(normalizeKey(name))) return true;
  }
  return false;
}

/** The parsed object or array of `text`, or undefined when it is not one. */
function parseJsonBody(text: string): object | undefined {
  if (text.length > MAX_JSON_CHARS) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A string, redacted. When it is a serialized JSON object or array (or ends with one, after a
 * prefix such as `body: `), the body is parsed, redacted by the key rules (prompt fields,
 * credential fields) and serialized again. A body that cannot be parsed (cut short, too
 * long, too deep) but names such a field is replaced whole by `REDACTED_BODY`. Everything
 * else, and any prefix, goes through the text patterns; text with nothing to redact by key
 * keeps its exact formatting.
 */
function redactString(walk: Walk, value: string, depth: number): string {
  const { redactor } = walk;
  const trimmed = value.trimStart();
  const wholeIsBody = trimmed.startsWith('{') || trimmed.startsWith('[');
  const start = wholeIsBody ? value.length - trimmed.length : value.search(JSON_BODY_START);
  if (start < 0) return redactor.text(value);

  const prefix = value.slice(0, start);
  const body = value.slice(start);
  const parsed = depth < redactor.maxDepth ? parseJsonBody(body) : undefined;
  if (parsed !== undefined) {
    const redacted = redactAny(walk, parsed, depth + 1);
    if (JSON.stringify(redacted) === JSON.stringify(parsed)) return redactor.text(value);
    return `${redactor.text(prefix)}${JSON.stringify(redacted, null, body.includes('\n') ? 2 : undefined)}`;
  }
  if (namesRedactedField(redactor, body, wholeIsBody ? BODY_FIELD_NAME : JSON_FIELD_NAME)) return REDACTED_BODY;
  return redactor.text(value);
}

function redactAny(walk: Walk, value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(walk, value, depth);
  if (value === null || typeof value !== 'object') return value; // numbers, booleans, functions...
  if (walk.copies.has(value)) return walk.copies.get(value);
  if (walk.inProgress.has(value)) return '[Circular]';
  if (depth >= walk.redactor.maxDepth) return '[Truncated]';
  let copy: unknown;
  try {
    copy = redactObject(walk, value, depth);
  } catch {
    // e.g. a Proxy whose traps throw: drop the value rather than log it raw or throw from a log call.
    walk.inProgress.delete(value);
    copy = '[Unreadable]';
  }
  walk.copies.set(value, copy);
  return copy;
}

/**
 * Returns a redacted deep copy of any value with the same rules as the winston format. Useful
 * before handing metadata to a logger that is not winston (and so never runs the format).
 */
export function redactValue(value: unknown, options: RedactSecretsOptions = {}): unknown {
  return redactAny(newWalk(createRedactor(options)), value, 0);
}

function newWalk(redactor: Redactor): Walk {
  return { redactor, inProgress: new WeakSet(), copies: new WeakMap() };
}

type Info = winston.Logform.TransformableInfo;

function redactInfo(redactor: Redactor, info: Info): Info {
  try {
    return redactInfoUnsafe(redactor, info);
  } catch {
    // Fail closed: an entry that cannot be copied safely is replaced, never passed on raw.
    const level = typeof info.level === 'string' ? info.level : 'error';
    return { level, message: '[entry dropped: it could not be redacted]', [LEVEL]: level };
  }
}

function redactInfoUnsafe(redactor: Redactor, info: Info): Info {
  const walk = newWalk(redactor);
  // The top level is copied even past maxDepth and never collapses to '[Circular]'.
  const copy = redactObject(walk, info, 0) as Info;
  walk.copies.set(info, copy);

  // winston keeps routing state under symbols, which the copy above does not carry over.
  for (const symbol of Object.getOwnPropertySymbols(info)) {
    const value = readProperty(info, symbol);
    if (symbol === MESSAGE && typeof value === 'string') {
      copy[symbol] = redactString(walk, value, 0); // set when a format before this one already printed
    } else if (symbol === SPLAT) {
      copy[symbol] = redactAny(walk, value, 1); // a later `splat()` format would print these
    } else {
      copy[symbol] = value;
    }
  }
  if (copy[LEVEL] === undefined && typeof info.level === 'string') copy[LEVEL] = info.level;
  return copy;
}

/**
 * A winston format that returns a redacted copy of each log entry (the caller's objects are
 * never modified): credentials under sensitive keys, prompt/completion text, credential
 * patterns in every string, and the literal `secrets` given here. Put it first in the chain so
 * that later formats only ever see redacted data.
 *
 * @example
 * ```ts
 * const logger = winston.createLogger({
 *   format: winston.format.combine(redactSecrets({ secrets: [process.env.OPENAI_API_KEY!] }), winston.format.json()),
 *   transports: [new winston.transports.Console()],
 * });
 * configureResilience({ logger });
 * ```
 */
export function redactSecrets(options: RedactSecretsOptions = {}): winston.Logform.Format {
  const redactor = createRedactor(options);
  return winston.format((info) => redactInfo(redactor, info))();
}
