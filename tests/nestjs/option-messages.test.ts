import 'reflect-metadata';
import { isRetryConfigError, RetryConfigError } from '../../src';
import { InjectAgentConfig, ResilienceModule, ResilienceModuleOptions } from '../../src/integrations/nestjs';
import { cleanUp, compile, immediateRetries } from './nest-harness';

// Every message about the module's options says the field, the rule and the value received
// (short: a string quoted and cut at 40 characters, an object by its kind, never a credential),
// in our wording, never class-validator's stock one.

beforeEach(immediateRetries);
afterEach(cleanUp);

/** class-validator's stock phrases: none of them may reach a user. */
const STOCK_WORDING =
  /conforming to the specified constraints|one of the following values|must be an integer number|must be a boolean value|should not be empty|valid enum value/;

async function issuesOf(options: unknown): Promise<RetryConfigError['issues']> {
  const error = await compile({ imports: [ResilienceModule.forRoot(options as ResilienceModuleOptions)] }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isRetryConfigError(error)).toBe(true);
  const { issues } = error as RetryConfigError;
  for (const issue of issues) {
    expect(issue.message).not.toMatch(STOCK_WORDING);
    expect(issue.message.startsWith(issue.field)).toBe(true);
  }
  return issues;
}

const messagesOf = async (options: unknown) => (await issuesOf(options)).map((issue) => issue.message);

describe('wrong types, option by option: field, rule, value received', () => {
  it('defaults, configs.<name>: every retry field', async () => {
    expect(
      await messagesOf({
        defaults: {
          maxAttempts: 'three',
          baseDelayMs: 'abc',
          maxDelayMs: Number.NaN,
          exponentialBase: { a: 1 },
          jitter: 5,
          respectRetryAfter: 'yes',
          maxRetryAfterMs: -1,
          attemptTimeoutMs: [1],
          totalTimeoutMs: true,
        },
      }),
    ).toEqual([
      'defaults.maxAttempts must be an integer (received "three")',
      'defaults.baseDelayMs must be a finite number (received "abc")',
      'defaults.maxDelayMs must be a finite number (received NaN)',
      'defaults.exponentialBase must be a finite number (received an object)',
      'defaults.jitter must be one of full, equal, decorrelated, none (received 5)',
      'defaults.respectRetryAfter must be true or false (received "yes")',
      'defaults.maxRetryAfterMs must not be less than 0 (received -1)',
      'defaults.attemptTimeoutMs must be a finite number (received an array)',
      'defaults.totalTimeoutMs must be a finite number (received true)',
    ]);
    expect(await messagesOf({ configs: { 'gpt-4.1': { maxAttempts: 11 } } })).toEqual([
      'configs.gpt-4.1.maxAttempts must not be greater than 10 (received 11)',
    ]);
  });

  it('the policies: circuitBreaker, retryBudget, bulkhead', async () => {
    expect(await messagesOf({ defaults: { circuitBreaker: 'yes', retryBudget: 5, bulkhead: 'x' } })).toEqual([
      'defaults.circuitBreaker must be true, false or an object of circuit breaker options (received "yes")',
      'defaults.retryBudget must be true, false or an object of retry budget options (received 5)',
      'defaults.bulkhead must be false or an object { maxConcurrency, queueLimit } (received "x")',
    ]);
    expect(await messagesOf({ configs: { a: { circuitBreaker: { failureThreshold: 'x' } } } })).toEqual([
      expect.stringMatching(/^configs\.a\.circuitBreaker\.failureThreshold must be .* \(received "x"\)$/),
    ]);
  });

  it('defaults, configs, agents, agents.<name> that are not objects', async () => {
    expect(await messagesOf({ defaults: 'fast', configs: { a: 5 } })).toEqual([
      'defaults must be a plain object (received "fast")',
      'configs.a must be a plain object (received 5)',
    ]);
    expect(await messagesOf({ configs: [], agents: 'support' })).toEqual([
      'configs must be an object of named retry configs, e.g. { "gpt-4o": { maxAttempts: 4 } } (received an array)',
      'agents must be an object of named agent configs, e.g. { support: { provider: "openai", model: "gpt-4o" } } (received "support")',
    ]);
    expect(await messagesOf({ agents: { support: 42, billing: new Map() } })).toEqual([
      'agents.support must be an AgentConfig or a plain object (received 42)',
      'agents.billing must be an AgentConfig or a plain object (received an instance of Map)',
    ]);
  });

  it("an agent's fields, in our wording (no class-validator stock text)", async () => {
    expect(
      await messagesOf({
        agents: { support: { provider: 'openia', model: '', apiVersion: 3, retryConfig: 'x', name: 7 } },
      }),
    ).toEqual([
      'agents.support.retryConfig must be a plain object (received "x")',
      'agents.support.provider must be one of openai, azure_openai (received "openia")',
      'agents.support.model must not be empty (received "")',
      'agents.support.apiVersion must be a string (received 3)',
      'agents.support.name must be a string (received 7)',
    ]);
    expect(
      await messagesOf({
        agents: {
          support: { provider: 'openai', model: 'gpt-4o', fallbacks: [{ model: 7, retryConfig: { maxAttempts: 0 } }] },
        },
      }),
    ).toEqual([
      'agents.support.fallbacks[0].retryConfig.maxAttempts must not be less than 1 (received 0)',
      'agents.support.fallbacks[0].model must be a string (received 7)',
    ]);
  });

  it('never a credential: an API key, a token or a URL is described, not quoted', async () => {
    const secret = 'sk-proj-SECRET0123456789';
    const messages = await messagesOf({
      agents: {
        support: {
          provider: 'openai',
          model: 'gpt-4o',
          baseURL: secret,
          azureADTokenProvider: `eyJ${secret}`,
        },
        azure: { provider: 'azure_openai', model: 'gpt-4o', endpoint: `ftp://host/?api-key=${secret}` },
        other: { provider: 'openai', model: 'gpt-4o', apiKey: 42 },
        proxy: { provider: 'openai', model: 'gpt-4o', baseURL: `https://user:${secret}@proxy.example/v1` },
      },
    });
    expect(messages).toEqual([
      'agents.support.baseURL must be an http(s) URL (received a string that is not a URL)',
      'agents.support.azureADTokenProvider must be a function returning a promise of a token (received a string (27 characters))',
      'agents.azure.endpoint must be an http(s) URL (received a "ftp:" URL)',
      'agents.other.apiKey must be a string (received a number)',
      expect.stringMatching(
        /^agents\.proxy\.baseURL must not contain credentials .*: got https:\/\/\*\*\*@proxy\.example\/v1;/,
      ),
    ]);
    expect(messages.join('\n')).not.toContain('SECRET');
  });

  it('long strings are cut at 40 characters', async () => {
    const [message] = await messagesOf({ defaults: { jitter: 'x'.repeat(100) } });
    expect(message).toBe(
      `defaults.jitter must be one of full, equal, decorrelated, none (received "${'x'.repeat(40)}…")`,
    );
  });

  it('logger, tracer, stateStore', async () => {
    expect(await messagesOf({ logger: 'console', tracer: { log() {} }, stateStore: 'redis://localhost' })).toEqual([
      'logger must be a winston logger (missing error, warn, info, debug; received "console")',
      'tracer must have a logEvent(event, details) method (received an object)',
      'stateStore must be a state store, e.g. createRedisStateStore({ client }) from llm-resilience/redis (received "redis://localhost")',
    ]);
  });

  it('what the forRootAsync factory returns', async () => {
    const error = await compile({
      imports: [ResilienceModule.forRootAsync({ useFactory: () => 'oops' as never })],
    }).then(
      () => undefined,
      (caught: unknown) => caught as RetryConfigError,
    );
    expect(error?.issues.map((issue) => issue.message)).toEqual([
      'options must be an object (the forRoot() argument, or what the forRootAsync() factory returns; received "oops")',
    ]);
  });

  it('forRoot, forRootAsync and @InjectAgentConfig fail at once', () => {
    expect(() => ResilienceModule.forRoot(5 as never)).toThrow(
      'ResilienceModule.forRoot: options must be an object (received 5)',
    );
    expect(() => ResilienceModule.forRootAsync([] as never)).toThrow(
      'ResilienceModule.forRootAsync: options must be an object (received an array)',
    );
    expect(() => ResilienceModule.forRoot({ isGlobal: 'yes' as never })).toThrow(
      'ResilienceModule.forRoot: isGlobal must be true or false (received "yes")',
    );
    expect(() => ResilienceModule.forRootAsync({ isGlobal: 1 as never, useFactory: () => ({}) })).toThrow(
      'ResilienceModule.forRootAsync: isGlobal must be true or false (received 1)',
    );
    expect(() => InjectAgentConfig(undefined as never)).toThrow(
      '@InjectAgentConfig: the agent name must be a non-empty string (received undefined)',
    );
  });
});

describe('retry counts: the maxAttempts hint, where maxAttempts goes', () => {
  it('maxRetries / retries at the top level: maxAttempts in defaults', async () => {
    expect(await messagesOf({ maxRetries: 2, retries: 5 })).toEqual([
      'maxRetries is not a ResilienceModule option (did you mean maxAttempts? It counts attempts, the first included: maxRetries 2 = maxAttempts 3; it goes in defaults: { maxAttempts: 3 })',
      'retries is not a ResilienceModule option (did you mean maxAttempts? It counts attempts, the first included: retries 5 = maxAttempts 6; it goes in defaults: { maxAttempts: 6 })',
    ]);
  });

  it('in defaults, a named config or an agent retryConfig', async () => {
    expect(
      await messagesOf({
        defaults: { maxRetries: 2 },
        configs: { a: { retries: 1 } },
        agents: { support: { provider: 'openai', model: 'gpt-4o', retryConfig: { maxRetries: 4 } } },
      }),
    ).toEqual([
      'defaults.maxRetries is not a retry option (did you mean maxAttempts? It counts attempts, the first included: maxRetries 2 = maxAttempts 3)',
      'configs.a.retries is not a retry option (did you mean maxAttempts? It counts attempts, the first included: retries 1 = maxAttempts 2)',
      'agents.support.retryConfig.maxRetries is not a retry option (did you mean maxAttempts? It counts attempts, the first included: maxRetries 4 = maxAttempts 5)',
    ]);
  });

  it("on an agent itself (or a fallback): maxAttempts in the agent's retryConfig", async () => {
    expect(
      await messagesOf({
        agents: { support: { provider: 'openai', model: 'gpt-4o', maxRetries: 2, fallbacks: [{ retries: 0 }] } },
      }),
    ).toEqual([
      'agents.support.maxRetries is not an AgentConfig field (did you mean maxAttempts? It counts attempts, the first included: maxRetries 2 = maxAttempts 3; it goes in retryConfig: { maxAttempts: 3 })',
      'agents.support.fallbacks[0].retries is not an AgentConfig field (did you mean maxAttempts? It counts attempts, the first included: retries 0 = maxAttempts 1; it goes in retryConfig: { maxAttempts: 1 })',
    ]);
  });

  it('a retry setting at the top level is sent to defaults', async () => {
    expect(await messagesOf({ maxAttempts: 4, baseDelayMs: 'x' })).toEqual([
      'maxAttempts is not a ResilienceModule option (did you mean defaults: { maxAttempts: 4 }? Retry settings go in defaults, or in a named config)',
      'baseDelayMs is not a ResilienceModule option (did you mean defaults: { baseDelayMs: "x" }? Retry settings go in defaults, or in a named config)',
    ]);
  });
});
