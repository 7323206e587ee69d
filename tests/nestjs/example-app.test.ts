import 'reflect-metadata';
import { AppModule } from '../../examples/nestjs-app/app.module';
import { RESILIENCE_LOGGER_CONTEXT } from '../../src/integrations/nestjs';
import { cleanUp, faultServer, immediateRetries, llmRequests, post, startApp } from './nest-harness';

// The example app (examples/nestjs-app), booted as written: ResilienceModule.forRootAsync
// reading ConfigService, the agent pointing at the fault server, no logger (Nest's Logger).

const API_KEY = 'sk-example-secret-key-0123456789';
const PROMPT = 'my card number is 4111 and my order has not arrived';

const savedEnv = { ...process.env };
beforeEach(immediateRetries);
afterEach(async () => {
  await cleanUp();
  process.env = { ...savedEnv };
});

async function exampleApp(script: string[]) {
  const server = await faultServer(script);
  process.env.LLM_BASE_URL = server.openaiBaseURL;
  process.env.LLM_API_KEY = API_KEY;
  const { url, logger } = await startApp({ imports: [AppModule] });
  return { server, url, logger };
}

describe('POST /chat', () => {
  it("200 with the OrchestrationResponse after retries under the agent's config", async () => {
    const { server, url } = await exampleApp(['503', '503', 'ok']);

    const response = await post(`${url}/chat`, { message: 'hello' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      content: 'Echo: hello',
      agent: 'support',
      isError: false,
      completion: { object: 'chat.completion' },
    });
    expect(llmRequests(server)).toHaveLength(3);
    expect(llmRequests(server)[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('200 with isError: true and the safe content when the LLM is down; no key or prompt in the body', async () => {
    const { server, url, logger } = await exampleApp(Array(10).fill('503'));

    const response = await post(`${url}/chat`, { message: PROMPT });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      content:
        "❌ I'm currently experiencing technical difficulties. The LLM service is having problems (after 3 attempts). Please try again in a few moments.",
      errorCode: 'LLM_SERVER',
      agent: 'support',
      isError: true,
    });
    expect(response.text).not.toContain(API_KEY);
    expect(response.text).not.toContain('4111');
    // agents.support.retryConfig.maxAttempts = 3
    expect(llmRequests(server)).toHaveLength(3);
    // The library's lines went through Nest's Logger, without the key or the prompt.
    expect(logger.at('warn', RESILIENCE_LOGGER_CONTEXT)).toHaveLength(2);
    expect(logger.at('error', RESILIENCE_LOGGER_CONTEXT)).toHaveLength(1);
    expect(JSON.stringify(logger.entries)).not.toMatch(/sk-example|4111/);
  });

  it('400 for a missing message', async () => {
    const { url } = await exampleApp([]);
    expect((await post(`${url}/chat`, {})).status).toBe(400);
  });
});

describe('POST /title (@RetryOpenAI({ configName: "gpt-4o" }))', () => {
  it('retries under the named config read from ConfigService (LLM_GPT4O_MAX_ATTEMPTS)', async () => {
    process.env.LLM_GPT4O_MAX_ATTEMPTS = '2';
    const { server, url } = await exampleApp(['503', 'ok']);
    expect(await post(`${url}/title`, { message: 'hi' })).toMatchObject({
      status: 200,
      body: { title: expect.any(String) },
    });

    server.setScript(Array(10).fill('503'));
    const response = await post(`${url}/title`, { message: PROMPT });

    expect(response).toMatchObject({
      status: 503,
      body: { message: 'The LLM service is unavailable; please try again in a few moments.' },
    });
    expect(response.text).not.toContain('4111');
    expect(llmRequests(server)).toHaveLength(2 + 2);
  });

  it('502 when the LLM refuses the key (ResilienceExceptionFilter as APP_FILTER): no key, no prompt', async () => {
    const { server, url } = await exampleApp(['401']);
    const response = await post(`${url}/title`, { message: PROMPT });
    expect(response).toMatchObject({
      status: 502,
      body: { statusCode: 502, error: 'Bad Gateway', message: 'Upstream authentication failed' },
    });
    expect(response.text).not.toMatch(/sk-example|4111/);
    expect(llmRequests(server)).toHaveLength(1);
  });
});
