/**
 * `npm run example:azure`: Azure OpenAI with Microsoft Entra ID (no API key) through the
 * library: an `AgentConfig` for provider `azure_openai` whose `azureADTokenProvider` is
 * `getBearerTokenProvider(new ManagedIdentityCredential(), scope)` from `@azure/identity`,
 * used by `LLMServiceFactory` and `ResilientLLMService`, against the fault server of
 * `llm-resilience/testing` (an Azure OpenAI compatible endpoint).
 *
 * Offline: the managed identity is served by a local identity endpoint that speaks the App
 * Service protocol (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, which App Service sets for real
 * apps), started here on loopback. Shows recovery from 429 and 503 with the bearer token on
 * every attempt, and a credential that cannot get a token failing at once, not retried.
 *
 * Exits non-zero when a step did not end the way described.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getBearerTokenProvider, ManagedIdentityCredential } from '@azure/identity';
// In an app: 'llm-resilience'.
import {
  AgentConfig,
  classifyError,
  isAgentExecutionError,
  LLMProvider,
  LLMServiceFactory,
  ResilientLLMService,
  Tracer,
} from '../../src';
// In an app: 'llm-resilience/testing'.
import { startFaultServer } from '../../src/testing';

const SCOPE = 'https://cognitiveservices.azure.com/.default';
const DEPLOYMENT = 'gpt-4o';
const API_VERSION = '2024-10-21';
/** The only identity the local endpoint knows: the app's system-assigned identity. */
const SYSTEM_ASSIGNED = 'system-assigned';

interface IdentityEndpoint {
  /** `http://127.0.0.1:<port>/msi/token` */
  url: string;
  /** The secret App Service puts in `IDENTITY_HEADER`; the endpoint refuses requests without it. */
  header: string;
  /** Token requests received, and the tokens handed out. */
  requests: number;
  issued: Set<string>;
  close(): Promise<void>;
}

/**
 * A local stand-in for App Service's managed identity endpoint (api-version 2019-08-01):
 * GET ?resource=...&client_id=... with the `X-IDENTITY-HEADER` secret; a token for the
 * system-assigned identity, a 400 for a user-assigned identity it does not know.
 */
function startIdentityEndpoint(): Promise<IdentityEndpoint> {
  const header = `local-identity-header-${process.pid}`;
  const endpoint = { requests: 0, issued: new Set<string>() } as IdentityEndpoint;
  const server = http.createServer((req, res) => {
    endpoint.requests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-identity-header'] !== header) {
      return reply(401, { statusCode: 401, message: 'Missing or wrong X-IDENTITY-HEADER' });
    }
    if ((url.searchParams.get('client_id') ?? SYSTEM_ASSIGNED) !== SYSTEM_ASSIGNED) {
      return reply(400, { statusCode: 400, message: 'Unable to load the proper Managed Identity.' });
    }
    const token = `local-entra-token-${endpoint.issued.size + 1}`;
    endpoint.issued.add(token);
    reply(200, {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource: url.searchParams.get('resource'),
      token_type: 'Bearer',
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      Object.assign(endpoint, {
        url: `http://127.0.0.1:${port}/msi/token`,
        header,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
      resolve(endpoint);
    }),
  );
}

/** Prints the library's trace events, indented. */
const tracer: Tracer = {
  logEvent: (event, details) => console.log(`    trace ${event} ${JSON.stringify(details)}`),
};

async function main(): Promise<boolean> {
  const problems: string[] = [];
  const expect = (condition: boolean, problem: string) => {
    if (!condition) problems.push(problem);
  };

  const server = await startFaultServer();
  const identity = await startIdentityEndpoint();
  // What App Service sets for an app with a managed identity; read by ManagedIdentityCredential.
  process.env.IDENTITY_ENDPOINT = identity.url;
  process.env.IDENTITY_HEADER = identity.header;
  console.log(`Azure OpenAI (fault server) at ${server.azureEndpoint}, identity endpoint at ${identity.url}\n`);

  const azure = {
    provider: LLMProvider.AZURE_OPENAI,
    model: DEPLOYMENT, // the deployment name
    endpoint: server.azureEndpoint, // https://<resource>.openai.azure.com in production
    apiVersion: API_VERSION,
    retryConfig: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 },
  };
  const config = AgentConfig.from({
    ...azure,
    name: 'azure-support',
    // No API key: a bearer token for the app's managed identity, fetched and refreshed by @azure/identity.
    azureADTokenProvider: getBearerTokenProvider(new ManagedIdentityCredential(), SCOPE),
  });
  const factory = new LLMServiceFactory();
  const service = new ResilientLLMService({ factory, tracer });
  const messages = [{ role: 'user' as const, content: 'Where is my parcel?' }];

  try {
    console.log('▶ LLMServiceFactory.setupAzureService: an AzureOpenAI client, and a first token');
    const { client, credential } = await factory.setupAzureService(config);
    console.log(
      `  => ${client.constructor.name} (SDK retries: ${client.maxRetries}), token provider: ${credential ? 'yes' : 'no'}`,
    );
    console.log(`  identity endpoint requests so far: ${identity.requests}\n`);
    expect(client.maxRetries === 0, 'the factory should turn the SDK retries off');
    expect(
      identity.requests === 1,
      `setupAzureService should fetch one token, the endpoint got ${identity.requests} requests`,
    );

    console.log('▶ ResilientLLMService.resilientChatCompletion: 429, 503, then ok  [server script: 429:200, 503, ok]');
    server.setScript(['429:200', '503', 'ok']);
    let before = server.requests.length;
    const completion = await service.resilientChatCompletion(config, { messages });
    const sent = server.requests.slice(before);
    const answer = completion.choices[0]?.message?.content ?? '';
    console.log(`  => ${answer}`);
    for (const request of sent) {
      const bearer = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const token = identity.issued.has(bearer) ? 'the Entra ID token' : 'NO VALID TOKEN';
      const apiKey = request.headers['api-key'] === undefined ? 'no api-key header' : 'AN api-key HEADER';
      console.log(
        `  ${request.method} ${request.path}?api-version=${request.query['api-version']} -> ${request.fault} (Bearer ${token}, ${apiKey})`,
      );
    }
    console.log(
      `  identity endpoint requests so far: ${identity.requests} (getBearerTokenProvider caches the token)\n`,
    );
    expect(answer === 'Echo: Where is my parcel?', `the answer should echo the question, got "${answer}"`);
    expect(sent.length === 3, `three requests should reach Azure OpenAI, got ${sent.length}`);
    expect(
      sent.every((request) => request.path === `/openai/deployments/${DEPLOYMENT}/chat/completions`),
      'every request should go to the deployment',
    );
    expect(
      sent.every((request) => request.query['api-version'] === API_VERSION),
      `every request should carry api-version=${API_VERSION}`,
    );
    expect(
      sent.every((request) => identity.issued.has(request.headers.authorization?.replace(/^Bearer /, '') ?? '')),
      'every attempt should carry the bearer token from the identity endpoint',
    );
    expect(
      sent.every((request) => request.headers['api-key'] === undefined),
      'no request should carry an api-key header',
    );

    console.log('▶ A user-assigned identity the endpoint does not know: the credential fails, nothing is retried');
    const unknownIdentity = AgentConfig.from({
      ...azure,
      name: 'azure-unknown-identity',
      azureADTokenProvider: getBearerTokenProvider(
        new ManagedIdentityCredential({ clientId: 'no-such-identity' }),
        SCOPE,
      ),
    });
    server.setScript(['ok']);
    before = server.requests.length;
    const identityBefore = identity.requests;
    try {
      await service.resilientChatCompletion(unknownIdentity, { messages });
      expect(false, 'a call with an unknown identity should fail');
    } catch (error) {
      if (!isAgentExecutionError(error)) throw error;
      // The SDK wraps what the token provider threw: OpenAIError { cause: CredentialUnavailableError }.
      const original = error.originalError as { constructor?: { name?: string }; cause?: Error } | undefined;
      console.log(`  => AgentExecutionError: "${error.message}"`);
      console.log(
        `     kind ${error.kind}, ${error.attempts} attempt(s); originalError ${original?.constructor?.name}, ` +
          `caused by ${original?.cause?.name} (classifyError: ${classifyError(original).reason})`,
      );
      expect(error.kind === 'auth', `the failure should be auth, got ${error.kind}`);
      expect(error.attempts === 1, `a credential error should not be retried, got ${error.attempts} attempts`);
    }
    const reached = server.requests.length - before;
    console.log(
      `  requests to Azure OpenAI: ${reached}, to the identity endpoint: ${identity.requests - identityBefore}`,
    );
    expect(reached === 0, `no request should reach Azure OpenAI without a token, got ${reached}`);
  } finally {
    await server.close();
    await identity.close();
  }

  for (const problem of problems) console.error(`Unexpected: ${problem}`);
  return problems.length === 0;
}

main().then(
  (demonstrated) => {
    if (!demonstrated) process.exitCode = 1;
  },
  (error: unknown) => {
    console.error('example failed:', error);
    process.exitCode = 1;
  },
);
