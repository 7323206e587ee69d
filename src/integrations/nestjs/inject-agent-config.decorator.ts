import { Inject } from '@nestjs/common';
import { AGENT_CONFIG_TOKEN_PREFIX } from './resilience.constants';
import * as messages from './resilience.messages';

/** Names asked for by `@InjectAgentConfig`, in classes defined so far. */
const requested = new Set<string>();

/**
 * The injection token of the agent `name` of `ResilienceModule`'s `agents` (what
 * `@InjectAgentConfig(name)` injects), for `moduleRef.get` or custom providers.
 *
 * @example
 * ```ts
 * const support = app.get<AgentConfig>(agentConfigToken('support'));
 * ```
 */
export function agentConfigToken(name: string): string {
  return `${AGENT_CONFIG_TOKEN_PREFIX}${name}`;
}

/**
 * Injects the `AgentConfig` named `name` in `ResilienceModule`'s `agents`. A name that is
 * not configured fails the boot.
 *
 * @example
 * ```ts
 * @Injectable()
 * class SupportAgent {
 *   constructor(@InjectAgentConfig('support') private readonly agent: AgentConfig) {}
 * }
 * ```
 */
export function InjectAgentConfig(name: string): PropertyDecorator & ParameterDecorator {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError(messages.invalidAgentName(name));
  }
  // `forRootAsync` learns its agents' names only at boot, after Nest has read its
  // providers: it provides every name asked for here, in classes defined before it is called.
  requested.add(name);
  return Inject(agentConfigToken(name));
}

/** @internal The names asked for by `@InjectAgentConfig` so far. */
export function requestedAgentNames(): string[] {
  return [...requested];
}

/** @internal The agent name of an injection token, or undefined for other tokens. */
export function agentNameOfToken(token: unknown): string | undefined {
  return typeof token === 'string' && token.startsWith(AGENT_CONFIG_TOKEN_PREFIX)
    ? token.slice(AGENT_CONFIG_TOKEN_PREFIX.length)
    : undefined;
}
