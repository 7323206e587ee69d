// Smoke test of the PACKED library in a scratch app with openai 7: decorated methods call the
// real SDK against the library's fault server (llm-resilience/testing), in process.
// Run by scripts/compat/run.sh with `node --test` (Node 22), not by jest.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { configureResilience, getRetryContext, resetResilience, RetryOpenAI } from 'llm-resilience';
import { startFaultServer, type FaultServer, type FaultSpec } from 'llm-resilience/testing';

const servers: FaultServer[] = [];

beforeEach(() => {
  resetResilience();
  // Backoff draws 0 ms: retries are immediate, the test is fast and deterministic.
  configureResilience({ random: () => 0 });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A fault server on a free loopback port that answers `script` in order (closed after the test). */
async function withScript(script: FaultSpec[]): Promise<FaultServer> {
  const server = await startFaultServer({ script });
  servers.push(server);
  return server;
}

class Agent {
  readonly attempts: number[] = [];
  constructor(private readonly client: OpenAI) {}

  @RetryOpenAI({ maxAttempts: 3 })
  async ask(question: string): Promise<string> {
    this.attempts.push(getRetryContext()?.attempt ?? -1);
    const completion = await this.client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: question }],
    });
    return completion.choices[0]?.message.content ?? '';
  }
}

function agentFor(fault: FaultServer): Agent {
  // maxRetries: 0: one retry layer, ours.
  return new Agent(new OpenAI({ apiKey: 'sk-test', baseURL: fault.openaiBaseURL, maxRetries: 0 }));
}

void describe('openai 7 under @RetryOpenAI', () => {
  void it('retries a 503 through the real SDK: 2 requests, the answer of the second', async () => {
    const fault = await withScript(['503', 'ok']);
    const agent = agentFor(fault);

    assert.equal(await agent.ask('hello'), 'Echo: hello');
    assert.equal(fault.requests.length, 2);
    assert.deepEqual(agent.attempts, [1, 2]);
  });

  void it("retries a 429 after its Retry-After (read from openai 7's error headers)", async () => {
    const fault = await withScript(['429:50', 'ok']);
    const agent = agentFor(fault);

    const started = Date.now();
    assert.equal(await agent.ask('again'), 'Echo: again');
    assert.equal(fault.requests.length, 2);
    assert.ok(Date.now() - started >= 40, 'waited for the Retry-After');
  });

  void it("does not retry a 401: the SDK's error reaches the caller after 1 request", async () => {
    const fault = await withScript(['401', 'ok']);
    const agent = agentFor(fault);

    await assert.rejects(agent.ask('secret'), (error: unknown) => {
      assert.equal((error as { status?: number }).status, 401);
      return true;
    });
    assert.equal(fault.requests.length, 1);
  });

  void it('gives up after maxAttempts and rethrows the last 5xx', async () => {
    const fault = await withScript(['500', '502', '503', 'ok']);
    const agent = agentFor(fault);

    await assert.rejects(agent.ask('down'), (error: unknown) => {
      assert.equal((error as { status?: number }).status, 503);
      return true;
    });
    assert.equal(fault.requests.length, 3);
  });
});
