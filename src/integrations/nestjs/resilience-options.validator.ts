import { isSharedStateStore, SharedStateStore } from '../../ports/shared-state-store';
import { checkLogger, checkTracer } from '../../config/resilience-settings';
import { RetryConfig } from '../../config/retry-config';
import { isRetryConfigError, RetryConfigIssue } from '../../config/retry-config-error';
import { closestName, isPlainObject } from '../../internal/option-checks';
import { AgentConfig, AgentConfigInput, isAgentConfig } from '../../llm/agent-config';
import type { ResilienceLogger } from '../../observability/default-logger';
import type { Tracer } from '../../observability/tracer';
import { RESILIENCE_OPTION_KEYS } from './resilience.constants';
import * as messages from './resilience.messages';

/** The module's options once every one of them has passed its checks. */
export interface ValidatedResilienceOptions {
  defaults?: RetryConfig;
  configs?: Record<string, RetryConfig>;
  logger?: ResilienceLogger;
  tracer?: Tracer;
  stateStore?: SharedStateStore;
  agents: ReadonlyMap<string, AgentConfig>;
  /** Every name given in `configs`, its value valid or not (so a typo is reported once). */
  configNames: string[];
  /** Every name given in `agents`, its value valid or not. */
  agentNames: string[];
}

/**
 * Checks every option and collects every problem (nothing stops at the first), with paths
 * such as `configs.gpt-4o.maxAttempts` or `agents.support.retryConfig.baseDelayMs`.
 */
export function validateResilienceOptions(input: unknown): {
  options: ValidatedResilienceOptions;
  issues: RetryConfigIssue[];
} {
  const issues: RetryConfigIssue[] = [];
  const options: ValidatedResilienceOptions = { agents: new Map(), configNames: [], agentNames: [] };
  if (!isPlainObject(input)) {
    issues.push({ field: 'options', message: messages.optionsNotObject(messages.describe(input)) });
    return { options, issues };
  }

  for (const key of Object.keys(input)) {
    if (RESILIENCE_OPTION_KEYS.includes(key)) continue;
    issues.push({ field: key, message: messages.unknownOption(key, closestName(key, RESILIENCE_OPTION_KEYS)) });
  }

  if (input.defaults !== undefined) options.defaults = retryConfigAt('defaults', input.defaults, issues);

  if (input.configs !== undefined) {
    if (!isPlainObject(input.configs)) {
      issues.push({ field: 'configs', message: messages.mapNotObject('configs') });
    } else {
      const configs: Record<string, RetryConfig> = {};
      options.configNames = Object.keys(input.configs);
      for (const [name, value] of Object.entries(input.configs)) {
        const config = retryConfigAt(`configs.${name}`, value, issues);
        if (config) configs[name] = config;
      }
      options.configs = configs;
    }
  }

  if (input.agents !== undefined) {
    if (!isPlainObject(input.agents)) {
      issues.push({ field: 'agents', message: messages.mapNotObject('agents') });
    } else {
      const agents = new Map<string, AgentConfig>();
      options.agentNames = Object.keys(input.agents);
      for (const [name, value] of Object.entries(input.agents)) {
        const agent = agentConfigAt(name, value, issues);
        if (agent) agents.set(name, agent);
      }
      options.agents = agents;
    }
  }

  options.logger = checked(() => checkLogger(input.logger, 'logger'), 'logger', issues);
  options.tracer = checked(() => checkTracer(input.tracer, 'tracer'), 'tracer', issues);

  if (input.stateStore !== undefined && !isSharedStateStore(input.stateStore)) {
    issues.push({ field: 'stateStore', message: messages.stateStoreInvalid() });
  } else {
    options.stateStore = input.stateStore as SharedStateStore | undefined;
  }

  return { options, issues };
}

function retryConfigAt(path: string, value: unknown, issues: RetryConfigIssue[]): RetryConfig | undefined {
  try {
    return RetryConfig.from(value);
  } catch (error) {
    if (!isRetryConfigError(error)) throw error;
    issues.push(...error.issues.map((issue) => underPath(issue, path, 'retryConfig')));
    return undefined;
  }
}

/** A plain object without a `name` is named by its key: events and responses show that name. */
function agentConfigAt(name: string, value: unknown, issues: RetryConfigIssue[]): AgentConfig | undefined {
  if (!isAgentConfig(value) && !isPlainObject(value)) {
    issues.push({ field: `agents.${name}`, message: messages.agentNotObject(name) });
    return undefined;
  }
  try {
    return AgentConfig.from(
      isPlainObject(value) && value.name === undefined ? { ...(value as AgentConfigInput), name } : value,
    );
  } catch (error) {
    if (!isRetryConfigError(error)) throw error;
    issues.push(...error.issues.map((issue) => underPath(issue, `agents.${name}`)));
    return undefined;
  }
}

/** The issue with its field under `path`; `wholeField` is what the core calls the value itself. */
function underPath(issue: RetryConfigIssue, path: string, wholeField?: string): RetryConfigIssue {
  if (issue.field === wholeField) return { field: path, message: issue.message.replace(wholeField, path) };
  const field = `${path}.${issue.field}`;
  const message = issue.message.startsWith(issue.field)
    ? `${field}${issue.message.slice(issue.field.length)}`
    : `${path}: ${issue.message}`;
  return { field, message };
}

function checked<T>(check: () => T, field: string, issues: RetryConfigIssue[]): T | undefined {
  try {
    return check();
  } catch (error) {
    // By name: `instanceof` of built-in errors fails across realms (jest, vm).
    if ((error as Error | undefined)?.name !== 'TypeError') throw error;
    issues.push({ field, message: (error as Error).message });
    return undefined;
  }
}
