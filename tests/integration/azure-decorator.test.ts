/**
 * @RetryAzure end to end: the real `AzureOpenAI` client and a real `@azure/core-rest-pipeline`
 * pipeline (both with their own retries off) against a scripted 127.0.0.1 server.
 */
import { AzureOpenAI } from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { CredentialUnavailableError } from '@azure/identity';
import {
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  isRestError,
  RestError,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import { getRetryContext, RetryAzure, TRACE_EVENTS } from '../../src';
import { closedPortUrl, reply, scripted, type LoopbackReply } from '../support/loopback-server';
import {
  chatCompletion,
  className,
  drive,
  errorBody,
  rejectionOf,
  settleIo,
  until,
  useHarness,
  useServers,
} from './harness';

const AZURE_KEY = '0123456789abcdef0123456789abcdef';
const API_VERSION = '2024-10-21';

const h = useHarness();

const serve = useServers();
const script = (...replies: LoopbackReply[]) => scripted(replies);

const body = (question: string) => ({ model: 'gpt-4o', messages: [{ role: 'user' as const, content: question }] });

class AzureChatAgent {
  constructor(private readonly client: AzureOpenAI) {}

  @RetryAzure()
  async ask(question: string): Promise<ChatCompletion> {
    return this.client.chat.completions.create(body(question), { signal: getRetryContext()!.signal });
  }
}

function keyClient(endpoint: string): AzureOpenAI {
  return new AzureOpenAI({ apiKey: AZURE_KEY, endpoint, apiVersion: API_VERSION, deployment: 'gpt-4o', maxRetries: 0 });
}

function tokenClient(endpoint: string, azureADTokenProvider: () => Promise<string>): AzureOpenAI {
  return new AzureOpenAI({
    azureADTokenProvider,
    endpoint,
    apiVersion: API_VERSION,
    deployment: 'gpt-4o',
    maxRetries: 0,
  });
}

describe('@RetryAzure with the real AzureOpenAI client', () => {
  it('429 with retry-after-ms: waits that long, then succeeds; Azure path and api-key header', async () => {
    const srv = await serve(
      script(
        reply.json(
          429,
          errorBody('Requests to the ChatCompletions_Create Operation have exceeded the rate limit', { code: '429' }),
          {
            'retry-after-ms': '1500',
            'apim-request-id': 'apim-1',
          },
        ),
        reply.json(200, chatCompletion('azure ok')),
      ),
    );
    const call = new AzureChatAgent(keyClient(srv.url)).ask('hi');
    call.catch(() => undefined);

    await until(() => h.retries().length === 1, 'the retry announcement');
    // max(500 ms backoff, 1500 ms) + 0.5 * 10% of 1500 ms
    expect(h.retries()[0]).toMatchObject({
      delayMs: 1575,
      kind: 'rate_limit',
      status: 429,
      requestId: 'apim-1',
      errorType: 'RateLimitError',
    });
    await jest.advanceTimersByTimeAsync(1574);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);

    const completion = await drive(h, call, 1);
    expect(completion.choices[0].message.content).toBe('azure ok');
    expect(srv.requests).toHaveLength(2);
    for (const request of srv.requests) {
      expect(request.url).toBe(`/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`);
      expect(request.headers['api-key']).toBe(AZURE_KEY);
      expect(request.headers.authorization).toBeUndefined();
    }
  });

  it('503 then 200: retried', async () => {
    const srv = await serve(
      script(reply.json(503, errorBody('Service Unavailable')), reply.json(200, chatCompletion('recovered'))),
    );
    const completion = await drive(h, new AzureChatAgent(keyClient(srv.url)).ask('hi'));
    expect(completion.choices[0].message.content).toBe('recovered');
    expect(srv.requests).toHaveLength(2);
    expect(h.retries()).toEqual([
      expect.objectContaining({ status: 503, kind: 'server', errorType: 'InternalServerError', delayMs: 500 }),
    ]);
  });

  it('an azureADTokenProvider throwing CredentialUnavailableError: not retried, no request sent', async () => {
    const srv = await serve(reply.json(200, chatCompletion()));
    const credentialError = new CredentialUnavailableError('ManagedIdentityCredential: no managed identity endpoint');
    const provider = jest.fn(async (): Promise<string> => {
      throw credentialError;
    });
    const error = await rejectionOf(drive(h, new AzureChatAgent(tokenClient(srv.url, provider)).ask('hi')));

    // AzureOpenAI wraps the provider's error: OpenAIError { cause: CredentialUnavailableError }.
    expect(className(error)).toBe('OpenAIError');
    expect((error as Error).cause).toBe(credentialError);
    await jest.advanceTimersByTimeAsync(60_000);
    await settleIo();
    expect(provider).toHaveBeenCalledTimes(1);
    expect(srv.requests).toHaveLength(0);
    expect(h.retries()).toHaveLength(0);
    expect(h.eventsNamed(TRACE_EVENTS.notRetryable)).toEqual([
      { attempt: 1, kind: 'auth', reason: 'credential error' },
    ]);
  });

  it('a token provider returning a fresh token per call is asked again on every attempt', async () => {
    const srv = await serve(
      script(
        reply.json(503, errorBody('busy')),
        reply.json(503, errorBody('busy')),
        reply.json(200, chatCompletion('with token 3')),
      ),
    );
    let issued = 0;
    const provider = jest.fn(async () => `entra-token-${++issued}`);
    const completion = await drive(h, new AzureChatAgent(tokenClient(srv.url, provider)).ask('hi'));

    expect(completion.choices[0].message.content).toBe('with token 3');
    expect(provider).toHaveBeenCalledTimes(3);
    expect(srv.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer entra-token-1',
      'Bearer entra-token-2',
      'Bearer entra-token-3',
    ]);
    expect(srv.requests.every((request) => request.headers['api-key'] === undefined)).toBe(true);
  });
});

describe('@RetryAzure with @azure/core-rest-pipeline', () => {
  let pipeline: Pipeline;
  let httpClient: HttpClient;
  beforeEach(() => {
    pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
    httpClient = createDefaultHttpClient();
  });

  class DocumentClient {
    readonly thrown: unknown[] = [];
    constructor(
      private readonly pipeline: Pipeline,
      private readonly httpClient: HttpClient,
      private readonly url: string,
    ) {}

    /** What a user does with a bare pipeline: a failed status becomes a RestError built from the response. */
    @RetryAzure()
    async fetchDocument(): Promise<string> {
      const request = createPipelineRequest({ url: `${this.url}/documents/1`, allowInsecureConnection: true });
      try {
        const response = await this.pipeline.sendRequest(this.httpClient, request);
        if (response.status >= 400) {
          throw new RestError(`Request failed with status code ${response.status}`, {
            statusCode: response.status,
            response,
            request,
          });
        }
        return response.bodyAsText ?? '';
      } catch (error) {
        this.thrown.push(error);
        throw error;
      }
    }
  }

  it('503 (a RestError built from the response) then 200: retried', async () => {
    const srv = await serve(
      script(
        reply.json(503, { error: { code: 'ServerBusy', message: 'busy' } }, { 'x-ms-request-id': 'ms-req-1' }),
        reply.json(200, { id: 1 }),
      ),
    );
    const documents = new DocumentClient(pipeline, httpClient, srv.url);
    await expect(drive(h, documents.fetchDocument())).resolves.toBe('{"id":1}');
    expect(srv.requests).toHaveLength(2);
    expect(srv.requests[0].url).toBe('/documents/1');
    expect(h.retries()).toEqual([
      expect.objectContaining({
        status: 503,
        kind: 'server',
        errorType: 'RestError',
        requestId: 'ms-req-1',
        delayMs: 500,
      }),
    ]);
  });

  it('x-ms-retry-after-ms is honoured', async () => {
    const srv = await serve(
      script(
        reply.json(503, { error: { code: 'ServerBusy' } }, { 'x-ms-retry-after-ms': '2500' }),
        reply.json(200, { id: 2 }),
      ),
    );
    const call = new DocumentClient(pipeline, httpClient, srv.url).fetchDocument();
    call.catch(() => undefined);

    await until(() => h.retries().length === 1, 'the retry announcement');
    // max(500 ms backoff, 2500 ms) + 0.5 * 10% of 2500 ms
    expect(h.retries()[0]).toMatchObject({ delayMs: 2625, kind: 'server', status: 503 });
    expect(h.eventsNamed(TRACE_EVENTS.backoffDelay)[0]).toMatchObject({ delay_seconds: 2.625, source: 'retry-after' });
    await jest.advanceTimersByTimeAsync(2624);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(drive(h, call, 1)).resolves.toBe('{"id":2}');
    expect(srv.requests).toHaveLength(2);
  });

  it('connection refused (a closed port): retried, then the last RestError is rethrown', async () => {
    const url = await closedPortUrl();
    const documents = new DocumentClient(pipeline, httpClient, url);
    const error = await rejectionOf(drive(h, documents.fetchDocument()));

    expect(isRestError(error)).toBe(true);
    expect((error as RestError).code).toBe('ECONNREFUSED');
    expect(documents.thrown).toHaveLength(3);
    expect(error).toBe(documents.thrown[2]);
    expect(h.retries().map((entry) => entry.kind)).toEqual(['network', 'network']);
    expect(h.log.at('error')).toEqual([
      expect.objectContaining({ errorType: 'RestError', kind: 'network', attempt: 3 }),
    ]);
  });

  it('a 400 RestError is not retried', async () => {
    const srv = await serve(reply.json(400, { error: { code: 'InvalidInput', message: 'bad' } }));
    const documents = new DocumentClient(pipeline, httpClient, srv.url);
    const error = await rejectionOf(drive(h, documents.fetchDocument()));
    expect((error as RestError).statusCode).toBe(400);
    await settleIo();
    expect(srv.requests).toHaveLength(1);
  });
});
