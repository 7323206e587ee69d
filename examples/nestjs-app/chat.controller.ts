import { BadRequestException, Body, Controller, HttpCode, Post, ServiceUnavailableException } from '@nestjs/common';
// In an app: 'llm-resilience'.
import { classifyError, FailureKind, OrchestrationResponse } from '../../src';
import { AgentService } from './agent.service';

/** Failures that mean "the LLM is unavailable right now" (the rest are bugs or bad input). */
const UNAVAILABLE: ReadonlySet<FailureKind> = new Set(['rate_limit', 'server', 'timeout', 'network', 'circuit_open']);

interface ChatBody {
  message?: unknown;
}

@Controller()
export class ChatController {
  constructor(private readonly agents: AgentService) {}

  /** 200 with the OrchestrationResponse; `isError: true` and a safe text when the LLM is down. */
  @Post('chat')
  @HttpCode(200)
  chat(@Body() body: ChatBody): Promise<OrchestrationResponse> {
    return this.agents.chat(messageOf(body));
  }

  /** 200 with `{ title }`; 503 with a safe text (never the provider's message) when the LLM is down. */
  @Post('title')
  @HttpCode(200)
  async title(@Body() body: ChatBody): Promise<{ title: string }> {
    try {
      return { title: await this.agents.suggestTitle(messageOf(body)) };
    } catch (error) {
      if (!UNAVAILABLE.has(classifyError(error).kind)) throw error;
      throw new ServiceUnavailableException('The LLM service is unavailable; please try again in a few moments.');
    }
  }
}

function messageOf(body: ChatBody | undefined): string {
  const message = body?.message;
  if (typeof message !== 'string' || message.trim() === '') {
    throw new BadRequestException('message must be a non-empty string');
  }
  return message;
}
