/**
 * `npm run example:nest`: the Nest app of this folder against the local fault server
 * (llm-resilience/testing): a few POST /chat and /title requests while the "LLM" rate
 * limits, fails and recovers. Prints each response; exits when done.
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
}

const STEPS: Step[] = [
  { title: 'rate limited once, then answers', faults: ['429:200', 'ok'], path: '/chat', message: 'My order has not arrived.' },
  { title: 'two 503s, then answers (named config "gpt-4o")', faults: ['503', '503', 'ok'], path: '/title', message: 'My order has not arrived.' },
  { title: 'the LLM is down', faults: Array<FaultSpec>(10).fill('503'), path: '/chat', message: 'Where is my parcel?' },
  { title: 'the LLM is down (named config "gpt-4o")', faults: Array<FaultSpec>(10).fill('503'), path: '/title', message: 'Where is my parcel?' },
  { title: 'recovered', faults: ['ok'], path: '/chat', message: 'Thanks!' },
];

async function main(): Promise<void> {
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
    for (const step of STEPS) await run(step, url, server);
  } finally {
    await app?.close();
    await server.close();
  }
}

async function run(step: Step, url: string, server: FaultServer): Promise<void> {
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
  console.log(`  (${server.requests.length - before} request(s) to the LLM, ${Date.now() - started} ms)\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
