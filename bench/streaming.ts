/**
 * `npm run bench:streaming` (and part of `npm run bench`): time to first content of a stream
 * through the library versus the raw openai SDK stream (`maxRetries: 0`), against the fault
 * server (no faults: this is the cost of the retry layer and of the commit point on a stream
 * that works), for both APIs: Chat Completions chunks and Responses API events. Target
 * (issues #7 and #13): within 1 ms, every comparison.
 *
 * Time to first content: from the call to the first non-empty text delta in the caller's hands
 * (for the library's Responses streams, the lifecycle events held back until then arrive with
 * it). Every client reads the whole stream. Each comparison alternates its two clients call by
 * call (ABAB, then BABA), on warm keep-alive connections, and reports the median of the paired
 * differences.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { AgentConfig, createResiliencePipeline, LLMExecutor, LLMProvider, ResilientLLMService } from '../src';
import { startFaultServer } from '../src/testing';
import { silenceLibraryLogs } from './support/clients';
import { describeMachine, emitJson, machine, median, quantile, runMain, wantsJson } from './support/report';

export const STREAMING = { streams: 300, warmup: 30 } as const;

export interface StreamingRow {
  name: string;
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

export interface StreamingPair {
  /** `library − raw`, e.g. `executeStream (chat) − raw chat stream`. */
  name: string;
  /** Median over pairs of (library TTFT - raw TTFT), in ms. */
  medianPairedDifferenceMs: number;
}

export interface StreamingResult {
  rows: StreamingRow[];
  pairs: StreamingPair[];
  /** The largest of the pairs' median differences (the one the target is checked on). */
  medianPairedDifferenceMs: number;
}

const MODEL = 'gpt-4o-mini';
const TEXT = 'say one two three four five six seven eight nine ten';
const MESSAGES = [{ role: 'user' as const, content: TEXT }];

/** Milliseconds from the call to the first item `isContent` accepts, reading the whole stream. */
async function ttft<T>(start: () => AsyncIterable<T> | Promise<AsyncIterable<T>>, isContent: (item: T) => boolean) {
  const t0 = performance.now();
  let first = NaN;
  for await (const item of await start()) {
    if (Number.isNaN(first) && isContent(item)) first = performance.now() - t0;
  }
  return first;
}

const textDelta = (event: ResponseStreamEvent) => event.type === 'response.output_text.delta' && event.delta !== '';

interface Comparison {
  raw: { name: string; ttft: () => Promise<number> };
  library: { name: string; ttft: () => Promise<number> };
}

async function measure({ raw, library }: Comparison) {
  for (let i = 0; i < STREAMING.warmup; i++) {
    await raw.ttft();
    await library.ttft();
  }
  const rawTimes: number[] = [];
  const libraryTimes: number[] = [];
  for (let i = 0; i < STREAMING.streams; i++) {
    if (i % 2 === 0) {
      rawTimes.push(await raw.ttft());
      libraryTimes.push(await library.ttft());
    } else {
      libraryTimes.push(await library.ttft());
      rawTimes.push(await raw.ttft());
    }
  }
  if ([...rawTimes, ...libraryTimes].some(Number.isNaN)) throw new Error('a stream delivered no content');
  const row = (name: string, times: number[]): StreamingRow => ({
    name,
    medianMs: median(times),
    p90Ms: quantile(times, 0.9),
    minMs: Math.min(...times),
  });
  return {
    rows: [row(raw.name, rawTimes), row(library.name, libraryTimes)],
    pair: {
      name: `${library.name} − ${raw.name}`,
      medianPairedDifferenceMs: median(libraryTimes.map((t, i) => t - rawTimes[i])),
    },
  };
}

async function main(): Promise<void> {
  silenceLibraryLogs();
  const started = machine();
  const server = await startFaultServer();
  try {
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const chatAgent = AgentConfig.from({
      provider: LLMProvider.OPENAI,
      model: MODEL,
      baseURL: server.openaiBaseURL,
      apiKey: 'sk-bench',
    });
    const responsesAgent = AgentConfig.from({
      provider: LLMProvider.OPENAI,
      model: MODEL,
      baseURL: server.openaiBaseURL,
      apiKey: 'sk-bench',
      api: 'responses',
    });
    const executor = new LLMExecutor();
    const service = new ResilientLLMService();
    const pipeline = createResiliencePipeline({ name: 'bench-responses', provider: 'openai' });

    const rawChat = {
      name: 'raw chat stream',
      ttft: () =>
        ttft(
          () => client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true }),
          (chunk) => Boolean(chunk.choices[0]?.delta?.content),
        ),
    };
    const rawResponses = {
      name: 'raw Responses stream',
      ttft: () => ttft(() => client.responses.create({ model: MODEL, input: TEXT, stream: true }), textDelta),
    };
    const comparisons: Comparison[] = [
      {
        raw: rawChat,
        library: {
          name: 'LLMExecutor.executeStream (chat)',
          ttft: () =>
            ttft(
              () => executor.executeStream(chatAgent, MESSAGES),
              (delta) => delta !== '',
            ),
        },
      },
      {
        raw: rawResponses,
        library: {
          name: 'ResilientLLMService.resilientResponseStream',
          ttft: () => ttft(() => service.resilientResponseStream(responsesAgent, { input: TEXT }), textDelta),
        },
      },
      {
        raw: rawResponses,
        library: {
          name: 'LLMExecutor.executeStream (responses)',
          ttft: () =>
            ttft(
              () => executor.executeStream(responsesAgent, MESSAGES),
              (delta) => delta !== '',
            ),
        },
      },
      {
        raw: rawResponses,
        library: {
          name: 'pipeline.stream (Responses events, provider openai)',
          ttft: () =>
            ttft(
              () =>
                pipeline.stream(({ signal }) =>
                  client.responses.create({ model: MODEL, input: TEXT, stream: true }, { signal }),
                ),
              textDelta,
            ),
        },
      },
    ];

    const rows: StreamingRow[] = [];
    const pairs: StreamingPair[] = [];
    for (const comparison of comparisons) {
      const { rows: measured, pair } = await measure(comparison);
      rows.push(...measured);
      pairs.push(pair);
    }
    const result: StreamingResult = {
      rows,
      pairs,
      medianPairedDifferenceMs: Math.max(...pairs.map((pair) => pair.medianPairedDifferenceMs)),
    };

    console.log(`streaming — ${describeMachine(started)}`);
    console.log(
      `time to first content, ${STREAMING.streams} streams each after ${STREAMING.warmup} warm-up, alternating per comparison; fault server on loopback, no faults\n`,
    );
    console.log('| client | median TTFT (ms) | p90 (ms) | min (ms) |');
    console.log('|---|---:|---:|---:|');
    for (const r of result.rows)
      console.log(`| ${r.name} | ${r.medianMs.toFixed(3)} | ${r.p90Ms.toFixed(3)} | ${r.minMs.toFixed(3)} |`);
    console.log('');
    for (const pair of pairs)
      console.log(`median paired difference (${pair.name}): ${pair.medianPairedDifferenceMs.toFixed(3)} ms`);
    if (wantsJson()) emitJson({ machine: started, ...result });
  } finally {
    await server.close();
  }
}

runMain(module, main);
