import type { AzureOpenAI, OpenAI } from 'openai';
import { API_KEY_ENV_VARS, DEFAULT_AZURE_API_VERSION } from '../config/defaults';
import { checkLogger } from '../config/resilience-settings';
import type { RetryConfig } from '../config/retry-config';
import { RetryConfigError } from '../config/retry-config-error';
import { RetryAzure } from '../decorators/retry-azure';
import { RetryOpenAI } from '../decorators/retry-openai';
import { currentRetryContext } from '../engine/retry-context';
import { rememberSecret } from '../internal/known-secrets';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import { AgentConfig, AgentConfigInput } from './agent-config';
import { upstreamFor } from '../upstreams/per-key-state';
import { classifyError } from '../classification/classify-error';
import { TokenProviderError } from './llm-errors';
import { LLMProvider } from './llm-provider';

/** Options of `LLMServiceFactory`. */
export interface LLMServiceFactoryOptions {
  /**
   * Where retries of client set-up are logged.
   * @default the logger of `configureResilience`, else the library's own
   */
  logger?: ResilienceLogger;
  /**
   * Where API keys are read from when a config has none.
   * @default process.env
   */
  env?: Record<string, string | undefined>;
}

/** A client of the `openai` SDK, as `LLMServiceFactory` builds it (`maxRetries: 0`). */
export type LLMClient = OpenAI | AzureOpenAI;

/** The retry config of the AgentConfig a factory or service method is called with. */
export const retryConfigOfFirstArgument = (_self: unknown, args: unknown[]) => AgentConfig.from(args[0]).retryConfig;
/** The upstream key of that AgentConfig: calls to one endpoint and model share their state. */
const upstreamKeyOfFirstArgument = (_self: unknown, args: unknown[]) => AgentConfig.from(args[0]).upstreamKey;
/** OpenTelemetry's GenAI semantic-convention attributes of a call with that AgentConfig. */
const genAiAttributesOfFirstArgument = (_self: unknown, args: unknown[]) => {
  const agent = AgentConfig.from(args[0]);
  return {
    'gen_ai.system': agent.provider === LLMProvider.AZURE_OPENAI ? 'az.ai.openai' : 'openai',
    'gen_ai.request.model': agent.model,
  };
};
/** The agent and model of a call, for its log lines (`labelDetail`). */
const agentOfFirstArgument = (_self: unknown, args: unknown[]): string | undefined => {
  const agent = AgentConfig.from(args[0]);
  return agent.name === undefined ? `model ${agent.model}` : `agent ${agent.name}, model ${agent.model}`;
};
/** A service instance's own logger and tracer, if it was given any. */
export const observersOf = (self: { logger?: ResilienceLogger; tracer?: Tracer }) => ({
  logger: self.logger,
  tracer: self.tracer,
});

/**
 * What every retried call of the library's LLM services shares: the retry config (`configOf`
 * the AgentConfig the method is called with), the upstream key, the GenAI span attributes,
 * the agent and model in log lines, and the instance's own logger and tracer.
 */
export function agentCallOptions(configOf: (agent: AgentConfig) => RetryConfig) {
  return {
    config: (_self: unknown, args: unknown[]) => configOf(AgentConfig.from(args[0])),
    key: upstreamKeyOfFirstArgument,
    spanAttributes: genAiAttributesOfFirstArgument,
    labelDetail: agentOfFirstArgument,
    observers: observersOf,
  };
}

/** The options of one request the library's services make: the attempt's signal and retry count. */
export interface AttemptRequestOptions {
  signal: AbortSignal | undefined;
  headers: { 'x-stainless-retry-count': string };
}

/**
 * The request options of the running attempt: `signal`, and `x-stainless-retry-count` set to
 * the attempt number minus one, as the SDK sets it when it retries itself (its own retries are
 * off). Read in the synchronous part of the attempt, without switching the async context on.
 */
export function attemptRequestOptions(signal: AbortSignal | undefined): AttemptRequestOptions {
  const attempt = currentRetryContext()?.attempt ?? 1;
  return { signal, headers: { 'x-stainless-retry-count': String(attempt - 1) } };
}

/**
 * A `fetch` that shows every response's rate-limit headers to the key's shared state, so
 * calls are paced before the limit is hit (the SDK only exposes headers per call).
 */
function observingFetch(key: string): typeof fetch {
  return async (input, init) => {
    const response = await globalThis.fetch(input, init);
    upstreamFor(key).pacing.observeResponse(response.headers);
    return response;
  };
}

/**
 * Creates `openai` SDK clients for agent configs. Every client has the SDK's own retries
 * off (`maxRetries: 0`): the library is the one retry layer.
 *
 * @example
 * ```ts
 * const factory = new LLMServiceFactory({ logger });
 * const client = factory.createClient(config);                            // OpenAI or AzureOpenAI, maxRetries: 0
 * const { client: azure, credential } = await factory.setupAzureService(azureConfig); // fetches a first AD token
 * ```
 */
export class LLMServiceFactory {
  /** Where retries of client set-up are logged (the configured logger when unset). */
  readonly logger?: ResilienceLogger;
  private readonly env: Record<string, string | undefined>;
  private readonly clients = new WeakMap<AgentConfig, LLMClient>();

  constructor(options: LLMServiceFactoryOptions = {}) {
    this.logger = checkLogger(options.logger, 'LLMServiceFactory: logger');
    this.env = options.env ?? process.env;
  }

  /** A ready client for `config` (`OpenAI` or `AzureOpenAI`); throws at once on a missing key. */
  @RetryAzure({ config: retryConfigOfFirstArgument, observers: observersOf })
  createClient(config: AgentConfig | AgentConfigInput): LLMClient {
    return this.buildClient(AgentConfig.from(config));
  }

  /** The client for `config`, created once per AgentConfig object and reused. */
  clientFor(config: AgentConfig): LLMClient {
    let client = this.clients.get(config);
    if (client === undefined) {
      client = this.buildClient(config);
      this.clients.set(config, client);
    }
    return client;
  }

  private buildClient(agent: AgentConfig): LLMClient {
    // Loaded when first needed: `openai` is a peer dependency that decorator-only users may not have.
    const { OpenAI: OpenAIClient, AzureOpenAI: AzureClient } = loadOpenAI();
    if (agent.provider === LLMProvider.AZURE_OPENAI) {
      // `null`, not undefined, for what is not used: the SDK would fill an undefined
      // `apiKey`/`baseURL` from AZURE_OPENAI_API_KEY / OPENAI_BASE_URL and then refuse the
      // combination ("mutually exclusive").
      const credentials = agent.azureADTokenProvider
        ? { azureADTokenProvider: agent.azureADTokenProvider, apiKey: null as unknown as undefined }
        : { apiKey: this.apiKeyFor(agent) };
      return new AzureClient({
        fetch: observingFetch(agent.upstreamKey),
        ...credentials,
        ...(agent.baseURL
          ? { baseURL: agent.baseURL }
          : { endpoint: agent.endpoint, baseURL: null as unknown as undefined }),
        apiVersion: agent.apiVersion ?? DEFAULT_AZURE_API_VERSION,
        deployment: agent.model,
        maxRetries: 0,
      });
    }
    return new OpenAIClient({
      apiKey: this.apiKeyFor(agent),
      baseURL: agent.baseURL,
      maxRetries: 0,
      fetch: observingFetch(agent.upstreamKey),
    });
  }

  /** An OpenAI client for `config`, retried on transient failures of its set-up. */
  @RetryOpenAI({ config: retryConfigOfFirstArgument, observers: observersOf })
  async setupOpenAIService(config: AgentConfig | AgentConfigInput): Promise<{
    /** An `OpenAI` client with `maxRetries: 0`. */
    client: OpenAI;
  }> {
    const agent = AgentConfig.from(config);
    if (agent.provider !== LLMProvider.OPENAI) {
      throw new TypeError(`setupOpenAIService needs provider ${LLMProvider.OPENAI}, got ${agent.provider}`);
    }
    return { client: this.createClient(agent) as OpenAI };
  }

  /**
   * An Azure OpenAI client for `config`. With `azureADTokenProvider`, a first token is
   * fetched now, so a credential that cannot work fails here, as `TokenProviderError`
   * (`auth`, not retried: the same verdict as a provider failure during a call).
   */
  @RetryAzure({ config: retryConfigOfFirstArgument, observers: observersOf })
  async setupAzureService(config: AgentConfig | AgentConfigInput): Promise<{
    /** An `AzureOpenAI` client with `maxRetries: 0`. */
    client: AzureOpenAI;
    /** The config's `azureADTokenProvider`, when it has one (a first token was fetched with it). */
    credential?: () => Promise<string>;
  }> {
    const agent = AgentConfig.from(config);
    if (agent.provider !== LLMProvider.AZURE_OPENAI) {
      throw new TypeError(`setupAzureService needs provider ${LLMProvider.AZURE_OPENAI}, got ${agent.provider}`);
    }
    const credential = agent.azureADTokenProvider;
    if (credential) {
      try {
        await credential();
      } catch (error) {
        // A credential error (@azure/identity) stays as it is; anything else is wrapped so
        // that it, too, reads as a credential failure and is not retried.
        throw classifyError(error).kind === 'auth' ? error : new TokenProviderError(error);
      }
    }
    return { client: this.createClient(agent) as AzureOpenAI, ...(credential ? { credential } : {}) };
  }

  private apiKeyFor(agent: AgentConfig): string {
    const variable = API_KEY_ENV_VARS[agent.provider];
    const key = agent.apiKey ?? this.env[variable];
    if (key === undefined || key.trim() === '') {
      throw new RetryConfigError([
        { field: 'apiKey', message: `apiKey is not set for ${agent.label}, and ${variable} is empty` },
      ]);
    }
    // A server may echo it, in any shape: scrubbed from what the library logs, traces and reports.
    rememberSecret(key);
    return key;
  }
}

/** `openai`, loaded when first needed; a clear error naming the peer when it is not installed. */
function loadOpenAI(): typeof import('openai') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: a peer that decorator-only users may not have
    return require('openai') as typeof import('openai');
  } catch (error) {
    if (
      (error as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND' &&
      /'openai'/.test(String((error as Error).message))
    ) {
      throw new Error(
        "LLMServiceFactory needs the optional peer dependency 'openai' (v5 or v6) to create clients: npm install openai",
        { cause: error },
      );
    }
    throw error;
  }
}
