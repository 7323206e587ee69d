/**
 * core-rest-pipeline's own request `timeout` ends a request with the same `AbortError` as a
 * caller's abort. @RetryAzure retries the timeout, and still never retries the caller's own
 * abort (its `abortSignal` among the call's options). Real pipeline, real loopback server,
 * real timers (short ones).
 */
import {
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { configureResilience, RetryAzure, RetryNetwork, resetResilience } from '../../src';
import { reply, scripted, startLoopbackServer, type LoopbackServer } from '../support/loopback-server';

const quiet = { error() {}, warn() {}, info() {}, debug() {} };

class DocumentClient {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly httpClient: HttpClient,
    private readonly url: string,
  ) {}

  @RetryAzure({ baseDelayMs: 100 })
  async fetchDocument(options: { timeoutMs?: number; abortSignal?: AbortSignal } = {}): Promise<string> {
    const request = createPipelineRequest({
      url: `${this.url}/documents/1`,
      allowInsecureConnection: true,
      timeout: options.timeoutMs ?? 0,
      abortSignal: options.abortSignal,
    });
    const response = await this.pipeline.sendRequest(this.httpClient, request);
    return response.bodyAsText ?? '';
  }

  @RetryNetwork({ baseDelayMs: 100 })
  async fetchViaNetworkDecorator(timeoutMs: number): Promise<string> {
    const request = createPipelineRequest({
      url: `${this.url}/documents/1`,
      allowInsecureConnection: true,
      timeout: timeoutMs,
    });
    return (await this.pipeline.sendRequest(this.httpClient, request)).bodyAsText ?? '';
  }
}

describe('core-rest-pipeline timeouts under @RetryAzure / @RetryNetwork', () => {
  let server: LoopbackServer | undefined;
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
  const httpClient = createDefaultHttpClient();

  beforeEach(() => configureResilience({ logger: quiet, random: () => 0 }));
  afterEach(async () => {
    resetResilience();
    await server?.close();
    server = undefined;
  });

  it.each(['fetchDocument', 'fetchViaNetworkDecorator'] as const)(
    '%s: a request that times out is retried as a timeout',
    async (method) => {
      server = await startLoopbackServer(scripted([reply.hang(), reply.json(200, { id: 1 })]));
      const client = new DocumentClient(pipeline, httpClient, server.url);
      const text =
        method === 'fetchDocument' ? client.fetchDocument({ timeoutMs: 80 }) : client.fetchViaNetworkDecorator(80);
      await expect(text).resolves.toBe('{"id":1}');
      expect(server.requests).toHaveLength(2);
      expect(server.requests[0].closedBeforeReply).toBe(true);
    },
  );

  it("the caller's own abortSignal (in the options) is not retried", async () => {
    server = await startLoopbackServer(reply.hang());
    const client = new DocumentClient(pipeline, httpClient, server.url);
    const controller = new AbortController();
    const call = client.fetchDocument({ abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(1);
  });
});
