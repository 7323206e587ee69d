import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { isRetryConfigError, RetryNetwork, RetryOpenAI } from '../../src';
import { ResilienceModule } from '../../src/integrations/nestjs';
import { cleanUp, compile, immediateRetries } from './nest-harness';

// Its own file: a configName is recorded when its class is defined, for the whole process
// (jest gives each file a fresh copy of the library), and checked by every boot after that.

@Injectable()
class Summarizer {
  @RetryOpenAI({ configName: 'gpt-5' })
  async summarize(): Promise<string> {
    return 'summary';
  }

  @RetryNetwork({ configName: 'search' })
  async search(): Promise<string> {
    return 'found';
  }

  @RetryOpenAI({ configName: 'gpt-4o' })
  async draft(): Promise<string> {
    return 'draft';
  }
}

beforeEach(immediateRetries);
afterEach(cleanUp);

it('a configName that no config matches fails the boot, naming each method and name and listing the configured ones', async () => {
  const error: unknown = await compile({
    imports: [ResilienceModule.forRoot({ configs: { 'gpt-4o': { maxAttempts: 4 }, embeddings: {} } })],
    providers: [Summarizer],
  }).catch((caught: unknown) => caught);

  expect(isRetryConfigError(error)).toBe(true);
  expect((error as { issues: unknown[] }).issues).toEqual([
    {
      field: 'Summarizer.summarize: configName',
      message:
        'Summarizer.summarize asks for the retry config "gpt-5" (configName), which is not configured (configured: gpt-4o, embeddings); add it to the configs of ResilienceModule.forRoot() or forRootAsync()',
    },
    {
      field: 'Summarizer.search: configName',
      message:
        'Summarizer.search asks for the retry config "search" (configName), which is not configured (configured: gpt-4o, embeddings); add it to the configs of ResilienceModule.forRoot() or forRootAsync()',
    },
  ]);
});

it('forRootAsync: the same check, against the configs the factory returns', async () => {
  await expect(
    compile({ imports: [ResilienceModule.forRootAsync({ useFactory: async () => ({}) })], providers: [Summarizer] }),
  ).rejects.toThrow(/Summarizer\.summarize asks for the retry config "gpt-5".*\(configured: none\)/);
});

it('boots when every name is configured, and the named configs apply', async () => {
  const moduleRef = await compile({
    imports: [ResilienceModule.forRoot({ configs: { 'gpt-4o': {}, 'gpt-5': {}, search: {} } })],
    providers: [Summarizer],
  });
  await expect(moduleRef.get(Summarizer).summarize()).resolves.toBe('summary');
});
