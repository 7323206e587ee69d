// Smoke test of the PACKED library's Nest integration in a scratch app with Nest 12 (ESM-only)
// and openai 7: a real Nest app over real HTTP, the fault server as the LLM.
// Run by scripts/compat/run.sh with `node --test` (Node 22), not by jest.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  Body,
  Controller,
  HttpCode,
  Injectable,
  Module,
  Post,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import OpenAI from 'openai';
import {
  AgentConfig,
  AgentOrchestrator,
  configureResilience,
  LLMProvider,
  resetResilience,
  RetryOpenAI,
  type OrchestrationResponse,
} from 'llm-resilience';
import { InjectAgentConfig, RESILIENCE_LOGGER_CONTEXT, ResilienceModule } from 'llm-resilience/nestjs';
import { startFaultServer, type FaultServer, type FaultSpec } from 'llm-resilience/testing';

/** Nest's logger, kept in memory: the library logs through it (context "LLMResilience"). */
class MemoryLogger implements LoggerService {
  readonly lines: { level: string; message: string; context: unknown }[] = [];
  log(message: unknown, ...rest: unknown[]): void {
    this.add('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.add('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.add('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.add('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.add('verbose', message, rest);
  }
  private add(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push({ level, message: String(message), context: rest[rest.length - 1] });
  }
}

@Injectable()
class AgentService {
  private readonly client: OpenAI;

  constructor(
    @InjectAgentConfig('support') private readonly agent: AgentConfig,
    private readonly orchestrator: AgentOrchestrator,
  ) {
    this.client = new OpenAI({ apiKey: agent.apiKey, baseURL: agent.baseURL, maxRetries: 0 });
  }

  /** Through the library's orchestrator, under the agent's retryConfig. */
  chat(message: string): Promise<OrchestrationResponse> {
    return this.orchestrator.respond(this.agent, [{ role: 'user', content: message }]);
  }

  /** A direct SDK call under the module's named config "title" (maxAttempts 4). */
  @RetryOpenAI({ configName: 'title' })
  async title(message: string): Promise<string> {
    const completion = await this.client.chat.completions.create({
      model: this.agent.model,
      messages: [{ role: 'user', content: message }],
    });
    return completion.choices[0]?.message.content ?? '';
  }
}

@Controller()
class ChatController {
  constructor(private readonly agents: AgentService) {}

  @Post('chat')
  @HttpCode(200)
  chat(@Body() body: { message: string }): Promise<OrchestrationResponse> {
    return this.agents.chat(body.message);
  }

  @Post('title')
  @HttpCode(200)
  async title(@Body() body: { message: string }): Promise<{ title: string }> {
    return { title: await this.agents.title(body.message) };
  }
}

const opened: Array<{ close(): Promise<unknown> }> = [];

beforeEach(() => {
  resetResilience();
  // Backoff draws 0 ms: retries are immediate, the test is fast and deterministic.
  configureResilience({ random: () => 0 });
});
afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});

async function startApp(script: FaultSpec[]): Promise<{ url: string; server: FaultServer; logger: MemoryLogger }> {
  const server = await startFaultServer({ script });
  opened.push(server);

  @Module({
    imports: [
      ResilienceModule.forRoot({
        defaults: { maxAttempts: 2 },
        configs: { title: { maxAttempts: 4 } },
        agents: {
          support: {
            provider: LLMProvider.OPENAI,
            model: 'gpt-4o',
            baseURL: server.openaiBaseURL,
            apiKey: 'sk-compat-test',
            retryConfig: { maxAttempts: 3 },
          },
        },
      }),
    ],
    controllers: [ChatController],
    providers: [AgentService],
  })
  class AppModule {}

  const logger = new MemoryLogger();
  const app: INestApplication = await NestFactory.create(AppModule, { logger });
  opened.push(app);
  await app.listen(0, '127.0.0.1');
  return { url: await app.getUrl(), server, logger };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const llmRequests = (server: FaultServer) => server.requests.filter((request) => request.fault !== 'not-found');

void describe('Nest 12 app with ResilienceModule, over HTTP', () => {
  void it("POST /chat: the orchestrator retries a 503 under the agent's config and answers 200", async () => {
    const { url, server, logger } = await startApp(['503', 'ok']);

    const response = await post(`${url}/chat`, { message: 'hello' });

    assert.equal(response.status, 200);
    assert.equal(response.body.content, 'Echo: hello');
    assert.equal(response.body.isError, false);
    assert.equal(llmRequests(server).length, 2);
    assert.ok(
      logger.lines.some((line) => line.level === 'warn' && line.context === RESILIENCE_LOGGER_CONTEXT),
      "the retry was logged through Nest's logger",
    );
  });

  void it('POST /title: @RetryOpenAI uses the named config of the module (4 attempts)', async () => {
    const { url, server } = await startApp(['503', '502', '500', 'ok']);

    const response = await post(`${url}/title`, { message: 'a title' });

    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { title: 'Echo: a title' });
    assert.equal(llmRequests(server).length, 4);
  });

  void it("POST /chat: a safe reply (isError) when the LLM stays down, after the agent's 3 attempts", async () => {
    const { url, server } = await startApp(['503', '503', '503', '503']);

    const response = await post(`${url}/chat`, { message: 'hello' });

    assert.equal(response.status, 200);
    assert.equal(response.body.isError, true);
    assert.equal(llmRequests(server).length, 3);
  });
});
