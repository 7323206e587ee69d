import { Injectable } from '@nestjs/common';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
// In an app: 'llm-resilience' and 'llm-resilience/nestjs'.
import { AgentConfig, AgentOrchestrator, OrchestrationResponse, RetryOpenAI } from '../../src';
import { InjectAgentConfig } from '../../src/integrations/nestjs';

const SYSTEM_PROMPT = 'You are a concise support agent.';

@Injectable()
export class AgentService {
  // One retry layer: the SDK's own retries are off (2 SDK retries under 4 attempts would
  // send up to 12 requests per call).
  private readonly client: OpenAI;

  constructor(
    @InjectAgentConfig('support') private readonly agent: AgentConfig,
    private readonly orchestrator: AgentOrchestrator,
  ) {
    this.client = new OpenAI({ apiKey: agent.apiKey, baseURL: agent.baseURL, maxRetries: 0 });
  }

  /**
   * The agent's reply. Retried under the agent's own retryConfig (with circuit breaker and
   * fallbacks); when the LLM stays down, a safe apology (`isError: true`), never an exception.
   */
  chat(message: string): Promise<OrchestrationResponse> {
    return this.orchestrator.respond(this.agent, this.conversation(message));
  }

  /** A short title for a conversation: a direct SDK call, retried under the named config "gpt-4o". */
  @RetryOpenAI({ configName: 'gpt-4o' })
  async suggestTitle(message: string): Promise<string> {
    const completion = await this.client.chat.completions.create({
      model: this.agent.model,
      messages: [...this.conversation(message), { role: 'user', content: 'Suggest a title of at most five words.' }],
      max_tokens: 16,
    });
    return completion.choices[0]?.message?.content ?? '';
  }

  private conversation(message: string): ChatCompletionMessageParam[] {
    return [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: message },
    ];
  }
}
