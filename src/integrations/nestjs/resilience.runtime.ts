import type { OnApplicationShutdown } from '@nestjs/common';
import { PROPERTY_DEPS_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants';
import type { ModulesContainer } from '@nestjs/core';
import { configureResilience, missingConfigNames, settingsVersion } from '../../config/resilience-settings';
import { RetryConfigError, RetryConfigIssue } from '../../config/retry-config-error';
import type { AgentConfig } from '../../llm/agent-config';
import type { ResilienceLogger } from '../../observability/default-logger';
import type { Tracer } from '../../observability/tracer';
import { agentNameOfToken } from './inject-agent-config.decorator';
import { NestLoggerAdapter } from './nest-logger.adapter';
import { validateResilienceOptions } from './resilience-options.validator';
import * as messages from './resilience.messages';

/**
 * The module's options, checked and applied to the library's (process-wide) settings at
 * boot, so that decorated methods anywhere in the app pick them up at call time.
 *
 * On shutdown it takes back what it applied (defaults, configs, logger, tracer), but only
 * if nothing has changed the settings since: other code in the process (another app, a
 * test) may rely on them. It never calls `resetResilience()`, which would also forget the
 * circuit breakers, retry budgets and cooldowns that other callers in the process share.
 */
export class ResilienceRuntime implements OnApplicationShutdown {
  private appliedVersion = -1;

  private constructor(
    readonly logger: ResilienceLogger,
    readonly tracer: Tracer | undefined,
    readonly agents: ReadonlyMap<string, AgentConfig>,
  ) {}

  /**
   * Validates `rawOptions` and every use of them in the app (`configName`s, injected
   * agents); throws one `RetryConfigError` listing every problem, or applies the settings.
   */
  static boot(rawOptions: unknown, modules: ModulesContainer, moduleClass: object): ResilienceRuntime {
    const { options, issues } = validateResilienceOptions(rawOptions);
    // Before anything is applied: the named configs this module does not provide.
    issues.push(...unknownConfigNameIssues(options.configNames));
    for (const { consumer, name } of agentInjections(modules)) {
      if (options.agentNames.includes(name)) continue;
      issues.push({ field: `${consumer}: agent`, message: messages.unknownAgent(consumer, name, options.agentNames) });
    }
    if (issues.length > 0) throw new RetryConfigError(issues, messages.MODULE_NAME);

    const runtime = new ResilienceRuntime(options.logger ?? new NestLoggerAdapter(), options.tracer, options.agents);
    if ([...modules.values()].filter((module) => module.metatype === moduleClass).length > 1) {
      runtime.logger.warn(messages.severalModules());
    }
    // Every setting the module owns is set, `undefined` included: the app's settings are its options.
    configureResilience({
      defaults: options.defaults,
      configs: options.configs,
      logger: runtime.logger,
      tracer: options.tracer,
      stateStore: options.stateStore,
    });
    runtime.appliedVersion = settingsVersion();
    // Names configured before boot by other code were replaced: check once more.
    const late = unknownConfigNameIssues(options.configNames);
    if (late.length > 0) {
      runtime.takeBack();
      throw new RetryConfigError(late, messages.MODULE_NAME);
    }
    return runtime;
  }

  onApplicationShutdown(): void {
    this.takeBack();
  }

  private takeBack(): void {
    if (settingsVersion() !== this.appliedVersion) return;
    configureResilience({
      defaults: undefined,
      configs: undefined,
      logger: undefined,
      tracer: undefined,
      stateStore: undefined,
    });
  }
}

/** One issue per method whose `configName` is not among `configured`. */
function unknownConfigNameIssues(configured: readonly string[]): RetryConfigIssue[] {
  const seen = new Set<string>();
  const issues: RetryConfigIssue[] = [];
  for (const use of missingConfigNames(configured)) {
    const id = `${use.method}\u0000${use.name}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push({
      field: `${use.method}: configName`,
      message: messages.unknownConfigName(use.method, use.name, configured),
    });
  }
  return issues;
}

interface Dependency {
  index?: number;
  param?: unknown;
  key?: string | symbol;
  type?: unknown;
}

/**
 * Every agent injected in the app (`@InjectAgentConfig` in constructors and properties,
 * and agent tokens in factory providers' `inject`), read from what Nest has scanned.
 */
function agentInjections(modules: ModulesContainer): Array<{ consumer: string; name: string }> {
  const found = new Map<string, { consumer: string; name: string }>();
  for (const module of modules.values()) {
    for (const wrappers of [module.providers, module.controllers, module.injectables, module.middlewares]) {
      for (const wrapper of wrappers.values()) {
        const metatype = wrapper.metatype as ((...args: never[]) => unknown) | null | undefined;
        const tokens: unknown[] = [];
        if (wrapper.inject) {
          for (const dependency of wrapper.inject) {
            tokens.push(
              typeof dependency === 'object' && dependency !== null && 'token' in dependency
                ? dependency.token
                : dependency,
            );
          }
        } else if (typeof metatype === 'function') {
          const params: Dependency[] = Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, metatype) ?? [];
          const properties: Dependency[] = Reflect.getMetadata(PROPERTY_DEPS_METADATA, metatype) ?? [];
          tokens.push(
            ...params.map((dependency) => dependency.param),
            ...properties.map((dependency) => dependency.type),
          );
        }
        for (const token of tokens) {
          const name = agentNameOfToken(token);
          if (name === undefined) continue;
          // A factory provider is named by its token; a class by itself.
          const consumer = wrapper.inject ? String(wrapper.name) : metatype?.name || String(wrapper.name);
          found.set(`${consumer}\u0000${name}`, { consumer, name });
        }
      }
    }
  }
  return [...found.values()];
}
