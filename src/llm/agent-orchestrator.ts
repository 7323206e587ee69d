import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { checkLogger, checkTracer, configuredLogger } from '../config/resilience-settings';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import { AgentConfig, AgentConfigInput } from './agent-config';
import { isAgentExecutionError } from './agent-execution-error';
import { ResilientLLMService } from './resilient-llm-service';

/** What an agent answers: the model's text, or a safe apology when the LLM call failed. */
export interface OrchestrationResponse {
  /** The model's text, or the apology with the safe message. */
  content: string;
  /** The agent's label (`name ?? model`). */
  agent: string;
  /** True when the LLM call failed for good. */
  isError: boolean;
  /** On failure: `LLM_<KIND>` (e.g. `LLM_RATE_LIMIT`), or `RESILIENT_LLM_FAILURE` for anything else. */
  errorCode?: string;
  /** On success: the whole completion. */
  completion?: ChatCompletion;
}

/** Options of `AgentOrchestrator`. */
export interface AgentOrchestratorOptions {
  /**
   * The service that makes the calls.
   * @default new ResilientLLMService({ tracer, logger })
   */
  service?: ResilientLLMService;
  /** Receives `logError(RESILIENT_LLM_FAILURE, safeMessage)` on failures (and the service's events when it builds the service). */
  tracer?: Tracer;
  /**
   * Where unexpected failures are logged.
   * @default the logger of `configureResilience`, else the library's own
   */
  logger?: ResilienceLogger;
}

/** The code reported to `tracer.logError` when an agent's LLM call fails for good. */
export const RESILIENT_LLM_FAILURE = 'RESILIENT_LLM_FAILURE';

/**
 * Runs agents so that users never see a technical error: a failed LLM call becomes a
 * friendly response (and a `logError` for developers), never an exception.
 *
 * @example
 * ```ts
 * const orchestrator = new AgentOrchestrator({ tracer });
 * const reply = await orchestrator.respond(config, [{ role: 'user', content: 'Where is my order?' }]);
 * if (reply.isError) metrics.increment(reply.errorCode!); // e.g. LLM_RATE_LIMIT
 * return reply.content;                                  // the answer, or a friendly apology
 * ```
 */
export class AgentOrchestrator {
  /** The service that makes the calls. */
  readonly service: ResilientLLMService;
  /** Receives `logError` on failures. */
  readonly tracer?: Tracer;
  private readonly logger?: ResilienceLogger;

  constructor(options: AgentOrchestratorOptions = {}) {
    this.logger = checkLogger(options.logger, 'AgentOrchestrator: logger');
    this.tracer = checkTracer(options.tracer, 'AgentOrchestrator: tracer');
    this.service = options.service ?? new ResilientLLMService({ tracer: options.tracer, logger: this.logger });
  }

  /**
   * The completion, or `null` when the call failed for good (after reporting the safe
   * message to `tracer.logError('RESILIENT_LLM_FAILURE', message)`). A `tracer` argument
   * overrides the constructor's for this call.
   */
  async callLLMWithConfigSafe(
    config: AgentConfig | AgentConfigInput,
    history: ChatCompletionMessageParam[],
    tracer?: Tracer,
  ): Promise<ChatCompletion | null> {
    const outcome = await this.call(config, history, tracer);
    return outcome.ok ? outcome.completion : null;
  }

  /** The agent's answer, or the error response; never throws for LLM failures. */
  async respond(
    config: AgentConfig | AgentConfigInput,
    history: ChatCompletionMessageParam[],
  ): Promise<OrchestrationResponse> {
    const agent = AgentConfig.from(config);
    const outcome = await this.call(agent, history);
    if (!outcome.ok) return this.createErrorResponse(outcome.message, agent, outcome.errorCode);
    return {
      content: outcome.completion.choices[0]?.message?.content ?? '',
      agent: agent.label,
      isError: false,
      completion: outcome.completion,
    };
  }

  /** The response shown for a failure: an apology around `errorMessage`, marked `isError`. */
  createErrorResponse(
    errorMessage: string,
    config: AgentConfig | AgentConfigInput,
    errorCode: string,
  ): OrchestrationResponse {
    const text = errorMessage.trim().replace(/[.\s]+$/, '');
    return {
      content: `❌ I'm currently experiencing technical difficulties. ${text}. Please try again in a few moments.`,
      errorCode,
      agent: config.name ?? config.model ?? 'agent',
      isError: true,
    };
  }

  private async call(
    config: AgentConfig | AgentConfigInput,
    history: ChatCompletionMessageParam[],
    tracer?: Tracer,
  ): Promise<{ ok: true; completion: ChatCompletion } | { ok: false; message: string; errorCode: string }> {
    const service = this.service.withTracer(tracer);
    try {
      return { ok: true, completion: await service.resilientChatCompletion(config, { messages: history }) };
    } catch (error) {
      // Anything not already safe (a config error, a bug) still reaches the user only as a safe text.
      const message = isAgentExecutionError(error) ? error.message : service.safeMessage('unknown', 0);
      const errorCode = isAgentExecutionError(error) ? `LLM_${error.kind.toUpperCase()}` : RESILIENT_LLM_FAILURE;
      const activeTracer = tracer ?? this.tracer;
      try {
        void activeTracer?.logError?.(RESILIENT_LLM_FAILURE, message)?.catch?.(() => undefined);
      } catch {
        // A broken tracer must not turn a handled failure into an exception.
      }
      if (!isAgentExecutionError(error)) {
        (this.logger ?? configuredLogger()).error('Agent call failed outside the LLM service', {
          errorType: (error as Error)?.constructor?.name,
        });
      }
      return { ok: false, message, errorCode };
    }
  }
}
