import { inspect, InspectOptions } from 'node:util';
import { IsEnum, IsIn, IsNotEmpty, IsOptional, IsString, ValidateBy, validateSync } from 'class-validator';
import { originAndPath } from '../internal/origin-and-path';
import { RetryConfig, RetryConfigFields, unknownFieldIssues } from '../config/retry-config';
import { describeReceived, isPlainObject } from '../internal/option-checks';
import { isRetryConfigError, RetryConfigError, RetryConfigIssue } from '../config/retry-config-error';
import { LLMProvider } from './llm-provider';

/**
 * Which OpenAI API an agent's text, schema and stream calls go to: Chat Completions
 * (`'chat'`) or the Responses API (`'responses'`).
 */
export type LLMApi = 'chat' | 'responses';

/** The values of `AgentConfig.api`. */
const LLM_APIS: readonly LLMApi[] = ['chat', 'responses'];

/** What `new AgentConfig(...)` and `AgentConfig.from(...)` accept. */
export interface AgentConfigInput {
  /** Which API the agent calls: required (a fallback inherits its primary's). */
  provider?: LLMProvider | `${LLMProvider}`;
  /** OpenAI model, or Azure OpenAI deployment name. */
  model?: string;
  /**
   * Which API `LLMExecutor` calls for this agent: Chat Completions or the Responses API
   * (inherited by fallbacks, like `model`).
   * @default 'chat'
   */
  api?: LLMApi;
  /**
   * An OpenAI-compatible endpoint (OpenAI), or the full Azure base URL. Must not carry a
   * credential (`user:pass@`, `?api-key=`): give it as `apiKey`.
   */
  baseURL?: string;
  /**
   * Azure OpenAI resource endpoint, e.g. `https://my-resource.openai.azure.com`. Must not
   * carry a credential (`user:pass@`, `?api-key=`): give it as `apiKey`.
   */
  endpoint?: string;
  /**
   * Azure OpenAI API version.
   * @default '2024-10-21' (Azure OpenAI)
   */
  apiVersion?: string;
  /** Read from OPENAI_API_KEY / AZURE_OPENAI_API_KEY when absent, when a client is created. */
  apiKey?: string;
  /** Azure AD (Entra ID) bearer tokens, e.g. `getBearerTokenProvider(credential, scope)`. */
  azureADTokenProvider?: () => Promise<string>;
  /**
   * The agent's retry settings, validated with the rest of the config (issues named
   * `retryConfig.<field>`).
   * @default new RetryConfig()
   */
  retryConfig?: RetryConfig | Partial<RetryConfigFields>;
  /**
   * Tried in order when this config fails for good; each inherits every field it does not
   * set (of the same provider: a fallback to another provider inherits only model, api and
   * retryConfig; one with its own credential inherits neither of ours).
   */
  fallbacks?: Array<AgentConfigInput | AgentConfig>;
  /**
   * Shown in events and responses.
   * @default the model
   */
  name?: string;
  /**
   * The upstream whose circuit breaker, retry budget and cooldowns this agent shares. Not
   * inherited by fallbacks. A URL in it must not carry a credential either.
   * @default provider + endpoint or baseURL (origin and path only) + model
   */
  key?: string;
}

const FIELDS = [
  'provider',
  'model',
  'api',
  'baseURL',
  'endpoint',
  'apiVersion',
  'apiKey',
  'azureADTokenProvider',
  'retryConfig',
  'fallbacks',
  'name',
  'key',
] as const;
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);
/** A fallback inherits these from its primary; `name` and `fallbacks` are its own. */
const INHERITED = [
  'provider',
  'model',
  'api',
  'baseURL',
  'endpoint',
  'apiVersion',
  'apiKey',
  'azureADTokenProvider',
  'retryConfig',
] as const;
/** Fields that mean nothing to another provider. */
const PROVIDER_SPECIFIC: ReadonlySet<string> = new Set([
  'baseURL',
  'endpoint',
  'apiVersion',
  'apiKey',
  'azureADTokenProvider',
]);

const BRAND = Symbol.for('llm-resilience.AgentConfig');

/**
 * How one agent reaches its LLM: provider, model or deployment, endpoint, credentials,
 * retry settings and fallbacks. Validated when built; every problem is listed at once
 * (`RetryConfigError`, with nested paths such as `retryConfig.maxAttempts`).
 *
 * The API key stays readable as `config.apiKey` but is kept out of `JSON.stringify`,
 * `util.inspect` and every message.
 *
 * @example
 * ```ts
 * const support = AgentConfig.from({
 *   name: 'support-agent',
 *   provider: LLMProvider.AZURE_OPENAI,
 *   model: 'gpt-4o',                                  // the deployment
 *   endpoint: 'https://my-resource.openai.azure.com',
 *   retryConfig: { maxAttempts: 4, totalTimeoutMs: 60_000 },
 *   fallbacks: [{ model: 'gpt-4o-mini', name: 'mini-deployment' }],
 * });
 * ```
 * @throws RetryConfigError listing every problem (`model`, `retryConfig.maxAttempts`, `fallbacks[0].endpoint`, ...).
 */
export class AgentConfig {
  /** {@inheritDoc AgentConfigInput.provider} */
  provider!: LLMProvider;
  /** {@inheritDoc AgentConfigInput.model} */
  model!: string;
  /** {@inheritDoc AgentConfigInput.api} */
  api?: LLMApi;
  /** {@inheritDoc AgentConfigInput.baseURL} */
  baseURL?: string;
  /** {@inheritDoc AgentConfigInput.endpoint} */
  endpoint?: string;
  /** {@inheritDoc AgentConfigInput.apiVersion} */
  apiVersion?: string;
  /** {@inheritDoc AgentConfigInput.azureADTokenProvider} */
  azureADTokenProvider?: () => Promise<string>;
  /** The agent's validated retry settings (`new RetryConfig()` when none were given). */
  retryConfig: RetryConfig;
  /** The fallbacks as complete configs (each with what it inherits), in order. */
  fallbacks?: AgentConfig[];
  /** {@inheritDoc AgentConfigInput.name} */
  name?: string;
  /** {@inheritDoc AgentConfigInput.key} */
  key?: string;
  #apiKey: string | undefined;

  /** Validates `input` (see `AgentConfig.from` for untyped input). */
  constructor(input: AgentConfigInput) {
    const issues: RetryConfigIssue[] = [];
    if (!isPlainObject(input as unknown)) {
      throw new RetryConfigError([{ field: 'agentConfig', message: 'agentConfig must be a plain object' }]);
    }
    issues.push(
      ...unknownFieldIssues(input, FIELD_SET).map((issue) => ({
        field: issue.field,
        message: issue.message.replace('is not a retry option', 'is not an AgentConfig field'),
      })),
    );
    for (const field of FIELDS) {
      if (field === 'apiKey' || field === 'retryConfig' || field === 'fallbacks') continue;
      const value = input[field];
      if (value !== undefined) (this as Record<string, unknown>)[field] = value;
    }
    this.#apiKey = input.apiKey;
    this.retryConfig = nestedRetryConfig(input.retryConfig, 'retryConfig', issues);
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });

    for (const error of validateSync(this, { stopAtFirstError: true, forbidUnknownValues: false })) {
      for (const [rule, stock] of Object.entries(error.constraints ?? {})) {
        issues.push({ field: error.property, message: ruleMessage(error.property, rule, stock, error.value) });
      }
    }
    issues.push(...crossFieldIssues(this, input));

    if (input.fallbacks !== undefined) {
      if (!Array.isArray(input.fallbacks)) {
        issues.push({ field: 'fallbacks', message: 'fallbacks must be an array of partial agent configs' });
      } else {
        const primaryIsValid = issues.length === 0;
        const fallbacks: AgentConfig[] = [];
        input.fallbacks.forEach((entry, index) => {
          const path = `fallbacks[${index}]`;
          if (!isPlainObject(entry) && !isAgentConfig(entry)) {
            issues.push({ field: path, message: `${path} must be a partial agent config object` });
            return;
          }
          const own = isAgentConfig(entry) ? entry.ownFields() : (entry as AgentConfigInput);
          try {
            fallbacks.push(new AgentConfig({ ...this.inheritedBy(own), ...own }));
          } catch (error) {
            if (!isRetryConfigError(error)) throw error;
            // What the primary got wrong is reported once, under the primary's own fields.
            const relevant = primaryIsValid ? error.issues : error.issues.filter((issue) => isOwnIssue(issue, own));
            issues.push(...relevant.map((issue) => prefixIssue(issue, path)));
          }
        });
        this.fallbacks = fallbacks;
      }
    }
    if (issues.length > 0) throw new RetryConfigError(issues);
  }

  /** Validates untyped input (parsed JSON, a config file) and returns an `AgentConfig`. */
  static from(plain: unknown): AgentConfig {
    if (isAgentConfig(plain)) return plain;
    return new AgentConfig(plain as AgentConfigInput);
  }

  /** The API key given in the config (the environment is read when a client is created). */
  get apiKey(): string | undefined {
    return this.#apiKey;
  }

  /** Replaces the key (still hidden from every rendering). */
  set apiKey(value: string | undefined) {
    this.#apiKey = value;
  }

  /** `name ?? model`: how events and responses name this agent. */
  get label(): string {
    return this.name ?? this.model;
  }

  /**
   * The upstream key: `key`, or provider + endpoint (or baseURL) + model or deployment. The
   * URL is reduced to its origin and path (no user info, query or fragment), so the key,
   * which events, spans and errors show, never carries a credential.
   */
  get upstreamKey(): string {
    const url = this.endpoint ?? this.baseURL;
    return (
      this.key ??
      `${this.provider}|${url === undefined ? 'default' : (originAndPath(url) ?? maskUrl(url).replace(/[?#].*$/s, ''))}|${this.model}`
    );
  }

  /** The fallbacks as complete configs, in order, each with what it inherits from this one. */
  fallbackConfigs(): readonly AgentConfig[] {
    return this.fallbacks ?? [];
  }

  /**
   * Plain fields for serialisation: no key, no token provider, and a credential in a URL
   * (set after validation) shown as `***`.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of FIELDS) {
      if (field === 'apiKey' || field === 'azureADTokenProvider') continue;
      const value = this[field];
      if (value === undefined) continue;
      out[field] = (field === 'baseURL' || field === 'endpoint') && typeof value === 'string' ? maskUrl(value) : value;
    }
    return out;
  }

  /** `util.inspect` shows the same as `toJSON` (never the key, whatever the options). */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `AgentConfig ${inspect(this.toJSON(), { ...options, getters: false, showHidden: false })}`;
  }

  /** The fields a fallback inherits from this config, given what the fallback sets itself. */
  private inheritedBy(own: AgentConfigInput): AgentConfigInput {
    // Another provider means another endpoint, API version and credentials: only the model
    // and retry settings carry over. A fallback with its own credential takes neither of ours.
    const sameProvider = own.provider === undefined || own.provider === this.provider;
    const ownCredential = own.apiKey !== undefined || own.azureADTokenProvider !== undefined;
    const out: Record<string, unknown> = {};
    for (const field of INHERITED) {
      if (!sameProvider && PROVIDER_SPECIFIC.has(field)) continue;
      if (ownCredential && (field === 'apiKey' || field === 'azureADTokenProvider')) continue;
      const value = field === 'apiKey' ? this.#apiKey : this[field];
      if (value !== undefined) out[field] = value;
    }
    return out as AgentConfigInput;
  }

  /** The fields this config was given, as input for another (the key included). */
  private ownFields(): AgentConfigInput {
    const out: Record<string, unknown> = { ...this.toJSON(), apiKey: this.#apiKey };
    if (this.azureADTokenProvider) out.azureADTokenProvider = this.azureADTokenProvider;
    if (out.apiKey === undefined) delete out.apiKey;
    return out as AgentConfigInput;
  }
}

/** A fallback issue that is the fallback's own, not one inherited from an invalid primary. */
function isOwnIssue(issue: RetryConfigIssue, own: AgentConfigInput): boolean {
  const field = issue.field.split(/[.[]/)[0];
  return field in own;
}

/**
 * True for an `AgentConfig`, also one created by another copy of the library.
 *
 * @example
 * ```ts
 * const agent = isAgentConfig(input) ? input : AgentConfig.from(input);
 * ```
 */
export function isAgentConfig(value: unknown): value is AgentConfig {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

function nestedRetryConfig(value: unknown, path: string, issues: RetryConfigIssue[]): RetryConfig {
  if (value === undefined) return new RetryConfig();
  try {
    return RetryConfig.from(value);
  } catch (error) {
    if (!isRetryConfigError(error)) throw error;
    issues.push(...error.issues.map((issue) => prefixIssue(issue, path)));
    return new RetryConfig();
  }
}

function prefixIssue(issue: RetryConfigIssue, path: string): RetryConfigIssue {
  const field = issue.field === 'retryConfig' && path === 'retryConfig' ? path : `${path}.${issue.field}`;
  return {
    field,
    message: issue.message.startsWith(issue.field)
      ? `${field}${issue.message.slice(issue.field.length)}`
      : `${path}: ${issue.message}`,
  };
}

function crossFieldIssues(config: AgentConfig, input: AgentConfigInput): RetryConfigIssue[] {
  const issues: RetryConfigIssue[] = [];
  if (config.provider === LLMProvider.AZURE_OPENAI && config.endpoint === undefined && config.baseURL === undefined) {
    issues.push({ field: 'endpoint', message: 'endpoint is required when provider is azure_openai (or give baseURL)' });
  }
  if (input.apiKey !== undefined && config.azureADTokenProvider !== undefined) {
    issues.push({ field: 'apiKey', message: 'apiKey and azureADTokenProvider are mutually exclusive: give one' });
  }
  // A key of any shape in a URL (a gateway that takes it in its path) would reach upstream keys.
  const key = input.apiKey;
  if (typeof key === 'string' && key.length >= 8) {
    for (const field of ['baseURL', 'endpoint'] as const) {
      const url = config[field];
      if (typeof url === 'string' && (url.includes(key) || url.includes(encodeURIComponent(key)))) {
        issues.push({ field, message: `${field} must not carry the apiKey: pass it as apiKey only` });
      }
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Credentials in URLs
// ---------------------------------------------------------------------------------------------

/**
 * Parameter names that carry a credential, compared in lower case without `-`, `_` and `.`:
 * any name containing one of CREDENTIAL_WORDS (Azure `api-key`, APIM `subscription-key`,
 * `x-goog-api-key`, OAuth tokens, `client_secret`), and these short ones exactly (SAS `sig`,
 * Functions `code`, a bare `key`: as words they would match `monkey` or `zipcode`).
 */
const CREDENTIAL_PARAM_NAMES: ReadonlySet<string> = new Set(['key', 'code', 'sig']);

const CREDENTIAL_WORDS = [
  'apikey',
  'accesskey',
  'accountkey',
  'subscriptionkey',
  'token',
  'secret',
  'password',
  'passwd',
  'auth',
  'credential',
  'signature',
];

const isCredentialParam = (name: string): boolean => {
  const normalized = name.toLowerCase().replace(/[-_.]/g, '');
  return CREDENTIAL_PARAM_NAMES.has(normalized) || CREDENTIAL_WORDS.some((word) => normalized.includes(word));
};

/** A key-shaped path segment (`/sk-proj-…/`), as a proxy that takes the key in its path wants. */
const KEY_IN_PATH = /(?:^|\/)sk-[A-Za-z0-9_-]{16,}/;

/**
 * Which credential `url` carries: `'userinfo'`, the name of a query or path (`;name=value`)
 * parameter, `'path'` for a key-shaped path segment, or undefined.
 */
function urlCredentialIn(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined; // not a URL: the http(s) rule reports it
  }
  if (parsed.username !== '' || parsed.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) {
    return 'userinfo';
  }
  for (const name of parsed.searchParams.keys()) if (isCredentialParam(name)) return name;
  for (const [, name] of parsed.pathname.matchAll(/;([^=;/]+)=/g)) if (isCredentialParam(name)) return name;
  return KEY_IN_PATH.test(parsed.pathname) ? 'path' : undefined;
}

/** The first URL in free text (a `key`) that carries a credential. */
function credentialUrlIn(text: string): string | undefined {
  for (const [candidate] of text.matchAll(/\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s|]+/gi)) {
    if (urlCredentialIn(candidate) !== undefined) return candidate;
  }
  return undefined;
}

/**
 * `url` with its user info and the values of credential query parameters replaced by `***`
 * (and a fragment hidden): safe to show in messages and serialised configs.
 */
function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
  }
  const userinfo = urlCredentialIn(url) === 'userinfo' ? '***@' : '';
  const query = [...parsed.searchParams]
    .map(
      ([name, value]) => `${encodeURIComponent(name)}=${isCredentialParam(name) ? '***' : encodeURIComponent(value)}`,
    )
    .join('&');
  const path = parsed.pathname
    .replace(/;([^=;/]+)=([^;/]*)/g, (whole, name: string) => (isCredentialParam(name) ? `;${name}=***` : whole))
    .replace(new RegExp(KEY_IN_PATH.source, 'g'), (segment) => `${segment.startsWith('/') ? '/' : ''}***`);
  return `${parsed.protocol}//${userinfo}${parsed.host}${path}${query ? `?${query}` : ''}${parsed.hash ? '#***' : ''}`;
}

function urlCredentialMessage(field: string, value: unknown): string {
  const url = typeof value === 'string' ? value : '';
  const credential = urlCredentialIn(url);
  const rule =
    credential === 'userinfo'
      ? 'must not contain credentials (user:password@)'
      : credential === 'path'
        ? 'must not carry a key in its path'
        : `must not carry a credential in its query string or path (${credential ?? 'a key'})`;
  return `${field} ${rule}: got ${maskUrl(url)}; pass the key as apiKey (or azureADTokenProvider)`;
}

/** Our wording of class-validator's stock rules: the field, the rule and what was received. */
const RULE_WORDING: Record<string, (field: string) => string> = {
  isEnum: (field) => `${field} must be one of ${Object.values(LLMProvider).join(', ')}`,
  isIn: (field) => `${field} must be one of ${LLM_APIS.join(', ')}`,
  isString: (field) => `${field} must be a string`,
  isNotEmpty: (field) => `${field} must not be empty`,
};

/** Fields whose value is never quoted in a message (a key, or a URL that may carry one). */
const UNQUOTED: ReadonlySet<string> = new Set(['apiKey', 'baseURL', 'endpoint', 'key', 'azureADTokenProvider']);

function ruleMessage(field: string, rule: string, stock: string, value: unknown): string {
  const wording = RULE_WORDING[rule];
  // Our own rules (URLs, credentials) already say what they need to, without the value.
  if (wording === undefined) return stock;
  const received = UNQUOTED.has(field) ? describeWithoutValue(value) : describeReceived(value);
  return `${wording(field)} (received ${received})`;
}

/** What a secret-bearing field received, by type and length only. */
function describeWithoutValue(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === undefined || value === null) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// The rules, applied without decorator syntax so that this file compiles in either decorator mode.
const httpUrl = ValidateBy({
  name: 'isHttpUrl',
  validator: {
    validate: (value: unknown) => {
      if (typeof value !== 'string') return false;
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    },
    // The value is not echoed: a URL may carry a key in its query string.
    defaultMessage: (args) => `${args?.property} must be an http(s) URL`,
  },
});
const noUrlCredential = ValidateBy({
  name: 'noUrlCredential',
  validator: {
    validate: (value: unknown) => typeof value !== 'string' || urlCredentialIn(value) === undefined,
    defaultMessage: (args) => urlCredentialMessage(String(args?.property), args?.value),
  },
});
/** `key` is free text: every URL in it is checked. */
const noCredentialInKeyUrls = ValidateBy({
  name: 'noCredentialInKeyUrls',
  validator: {
    validate: (value: unknown) => typeof value !== 'string' || credentialUrlIn(value) === undefined,
    defaultMessage: (args) =>
      urlCredentialMessage(String(args?.property), typeof args?.value === 'string' ? credentialUrlIn(args.value) : ''),
  },
});
const isFunction = ValidateBy({
  name: 'isFunction',
  validator: {
    validate: (value: unknown) => typeof value === 'function',
    defaultMessage: (args) => `${args?.property} must be a function returning a promise of a token`,
  },
});

const RULES: Record<string, PropertyDecorator[]> = {
  provider: [IsEnum(LLMProvider)],
  model: [IsString(), IsNotEmpty()],
  api: [IsOptional(), IsIn(LLM_APIS as LLMApi[])],
  baseURL: [IsOptional(), httpUrl, noUrlCredential],
  endpoint: [IsOptional(), httpUrl, noUrlCredential],
  apiVersion: [IsOptional(), IsString(), IsNotEmpty()],
  apiKey: [IsOptional(), IsString(), IsNotEmpty()],
  azureADTokenProvider: [IsOptional(), isFunction],
  name: [IsOptional(), IsString(), IsNotEmpty()],
  key: [IsOptional(), IsString(), IsNotEmpty(), noCredentialInKeyUrls],
};
for (const [field, rules] of Object.entries(RULES)) {
  for (const rule of rules) rule(AgentConfig.prototype, field);
}
