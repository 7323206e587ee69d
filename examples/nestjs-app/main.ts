/**
 * `npm run example:nest`: the Nest app of this folder against the local fault server
 * (llm-resilience/testing): a few POST /chat and /title requests while the "LLM" rate
 * limits, fails and recovers. Prints each response; exits when done, non-zero when a
 * response or the number of requests the LLM received is not the one described.
 */
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
// In an app: 'llm-resilience/testing'.
import { FaultServer, FaultSpec, startFaultServer } from '../../src/testing';
import { AppModule } from './app.module';

interface Step {
  title: string;
  faults: FaultSpec[];
  path: '/chat' | '/title';
  message: string;
  /** The HTTP status, the requests the LLM receives, and (for /chat) whether the reply is the safe apology. */
  expected: { status: number; llmRequests: number; isError?: boolean };
}

const STEPS: Step[] = [
  {
    title: 'rate limited once, then answers',
    faults: ['429:200', 'ok'],
    path: '/chat',
    message: 'My order has not arrived.',
    expected: { status: 200, llmRequests: 2, isError: false },
  },
  {
    title: 'two 503s, then answers (named config "gpt-4o")',
    faults: ['503', '503', 'ok'],
    path: '/title',
    message: 'My order has not arrived.',
    expected: { status: 200, llmRequests: 3 },
  },
  {
    // agents.support.retryConfig.maxAttempts: 3
    title: 'the LLM is down',
    faults: Array<FaultSpec>(10).fill('503'),
    path: '/chat',
    message: 'Where is my parcel?',
    expected: { status: 200, llmRequests: 3, isError: true },
  },
  {
    // configs['gpt-4o'].maxAttempts: 4 (LLM_GPT4O_MAX_ATTEMPTS)
    title: 'the LLM is down (named config "gpt-4o")',
    faults: Array<FaultSpec>(10).fill('503'),
    path: '/title',
    message: 'Where is my parcel?',
    expected: { status: 503, llmRequests: 4 },
  },
  {
    title: 'recovered',
    faults: ['ok'],
    path: '/chat',
    message: 'Thanks!',
    expected: { status: 200, llmRequests: 1, isError: false },
  },
];

async function main(): Promise<boolean> {
  const server = await startFaultServer();
  // What ConfigService reads in app.module.ts (a real app sets these in its environment).
  process.env.LLM_BASE_URL = server.openaiBaseURL;
  process.env.LLM_API_KEY = 'sk-local-fault-server';

  let app: INestApplication | undefined;
  try {
    // Warnings show the library's retry lines, through Nest's logger (context LLMResilience).
    app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    console.log(`Nest app on ${url}, fault server on ${server.url}\n`);
    let demonstrated = true;
    for (const step of STEPS) demonstrated = (await run(step, url, server)) && demonstrated;
    return demonstrated;
  } finally {
    await app?.close();
    await server.close();
  }
}

/** Sends the step's request and prints the response; answers whether it was the expected one. */
async function run(step: Step, url: string, server: FaultServer): Promise<boolean> {
  server.setScript(step.faults);
  const before = server.requests.length;
  const started = Date.now();
  console.log(`▶ ${step.title}: POST ${step.path}`);
  const response = await fetch(url + step.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: step.message }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  // The raw completion is in the response too; shown here by its id only.
  const { completion, ...shown } = body as { completion?: { id?: string } };
  if (completion) (shown as Record<string, unknown>).completion = `{ id: ${completion.id}, ... }`;
  console.log(`  ${response.status} ${JSON.stringify(shown)}`);
  const llmRequests = server.requests.length - before;
  console.log(`  (${llmRequests} request(s) to the LLM, ${Date.now() - started} ms)\n`);

  const { expected } = step;
  const matches =
    response.status === expected.status &&
    llmRequests === expected.llmRequests &&
    (expected.isError === undefined || body.isError === expected.isError);
  if (!matches) {
    console.error(
      `Unexpected: "${step.title}" should answer ${expected.status} after ${expected.llmRequests} LLM request(s)` +
        `${expected.isError === undefined ? '' : ` with isError: ${expected.isError}`}, got ${response.status} after ${llmRequests}`,
    );
  }
  return matches;
}

main().then(
  (demonstrated) => process.exit(demonstrated ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
