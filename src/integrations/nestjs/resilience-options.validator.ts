import { isSharedStateStore, SharedStateStore } from '../../ports/shared-state-store';
import { checkLogger, checkTracer } from '../../config/resilience-settings';
import { isRetryConfig, RETRY_CONFIG_FIELDS, RetryConfig } from '../../config/retry-config';
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
    issues.push({ field: 'options', message: messages.optionsNotObject(input) });
    return { options, issues };
  }

  for (const key of Object.keys(input)) {
    if (RESILIENCE_OPTION_KEYS.includes(key)) continue;
    issues.push({
      field: key,
      message: messages.unknownOption(key, input[key], closestName(key, RESILIENCE_OPTION_KEYS), RETRY_CONFIG_FIELDS),
    });
  }

  if (input.defaults !== undefined) options.defaults = retryConfigAt('defaults', input.defaults, issues);

  if (input.configs !== undefined) {
    if (!isPlainObject(input.configs)) {
      issues.push({ field: 'configs', message: messages.mapNotObject('configs', input.configs) });
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
      issues.push({ field: 'agents', message: messages.mapNotObject('agents', input.agents) });
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

  options.logger = checked(() => checkLogger(input.logger, 'logger'), 'logger', input.logger, issues);
  options.tracer = checked(() => checkTracer(input.tracer, 'tracer'), 'tracer', input.tracer, issues);

  if (input.stateStore !== undefined && !isSharedStateStore(input.stateStore)) {
    issues.push({ field: 'stateStore', message: messages.stateStoreInvalid(input.stateStore) });
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
    issues.push(...error.issues.map((issue) => underPath(restated(issue, value, 'retryConfig'), path, 'retryConfig')));
    return undefined;
  }
}

/** A plain object without a `name` is named by its key: events and responses show that name. */
function agentConfigAt(name: string, value: unknown, issues: RetryConfigIssue[]): AgentConfig | undefined {
  if (!isAgentConfig(value) && !isPlainObject(value)) {
    issues.push({ field: `agents.${name}`, message: messages.agentNotObject(name, value) });
    return undefined;
  }
  try {
    return AgentConfig.from(
      isPlainObject(value) && value.name === undefined ? { ...(value as AgentConfigInput), name } : value,
    );
  } catch (error) {
    if (!isRetryConfigError(error)) throw error;
    issues.push(...error.issues.map((issue) => underPath(restated(issue, value), `agents.${name}`)));
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

function checked<T>(check: () => T, field: string, value: unknown, issues: RetryConfigIssue[]): T | undefined {
  try {
    return check();
  } catch (error) {
    // By name: `instanceof` of built-in errors fails across realms (jest, vm).
    if ((error as Error | undefined)?.name !== 'TypeError') throw error;
    issues.push({ field, message: withReceived((error as Error).message, messages.received(value)) });
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages of the core validators (already in our wording), restated with the value received
// ---------------------------------------------------------------------------------------------

/** Rules about several fields, or a missing one: there is no single value to quote. */
const NO_SINGLE_VALUE = /is required when|mutually exclusive|: got /;
/** "x is not a retry option", "x is not an AgentConfig field": unknown keys. */
const UNKNOWN_KEY = / is not an? .*(option|field)\b/;

/** Fields whose string values are never quoted: credentials, and URLs that may carry one. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(['apiKey', 'azureADTokenProvider', 'key']);
const URL_FIELDS: ReadonlySet<string> = new Set(['baseURL', 'endpoint']);

/**
 * `issue` of a core validator (RetryConfig, AgentConfig) run on `root`, in our wording and
 * saying the value received; an agent's retry count (`agents.x.maxRetries`) gets the
 * maxAttempts hint. `wholeField` is what the core calls `root` itself.
 */
function restated(issue: RetryConfigIssue, root: unknown, wholeField?: string): RetryConfigIssue {
  let message = issue.message;
  const segments = pathSegments(issue.field);
  const last = segments[segments.length - 1] ?? issue.field;
  const value = issue.field === wholeField ? root : valueAt(root, segments);

  if (UNKNOWN_KEY.test(message)) {
    const hint = / is not an AgentConfig field/.test(message)
      ? messages.retriesHint(last, value, 'retryConfig: { maxAttempts: N }')
      : undefined;
    if (hint) message = `${message.replace(/ \(did you mean [^)]*\)$/, '')} (${hint})`;
    return { field: issue.field, message };
  }
  if (NO_SINGLE_VALUE.test(message)) return { field: issue.field, message };
  return { field: issue.field, message: withReceived(message, describeAt(last, value)) };
}

/** `message` with `(received …)`, unless it already says what it received. */
function withReceived(message: string, received: string): string {
  if (/\(received |[(;] ?received /.test(message)) return message;
  return message.endsWith(')') ? `${message.slice(0, -1)}; received ${received})` : `${message} (received ${received})`;
}

/** How the value of `field` is quoted: never a credential, never a URL's text. */
function describeAt(field: string, value: unknown): string {
  if (typeof value === 'string' && SECRET_FIELDS.has(field)) return `a string (${value.length} characters)`;
  if (typeof value === 'string' && URL_FIELDS.has(field)) {
    try {
      return `a "${new URL(value).protocol}" URL`;
    } catch {
      return 'a string that is not a URL';
    }
  }
  return messages.received(value);
}

/** `fallbacks[0].retryConfig.maxAttempts` -> `['fallbacks', '0', 'retryConfig', 'maxAttempts']`. */
function pathSegments(field: string): string[] {
  return [...field.matchAll(/[^.[\]]+/g)].map((match) => match[0]);
}

/** The value at `segments` in plain objects, arrays and RetryConfigs; `undefined` when not there. */
function valueAt(root: unknown, segments: readonly string[]): unknown {
  let current = root;
  for (const segment of segments) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isPlainObject(current) || isRetryConfig(current)) current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}
