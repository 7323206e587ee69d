/**
 * `npm run bench:streaming` (and part of `npm run bench`): time to first token of a
 * streamed chat completion through `LLMExecutor.executeStream` versus the raw openai SDK
 * stream (`maxRetries: 0`), against the fault server (no faults: this is the cost of the
 * retry layer on a stream that works). Target (issue #7): within 1 ms.
 *
 * Time to first token: from the call to the first non-empty content delta in the caller's
 * hands. Both read the whole stream. The two alternate call by call (ABAB, then BABA), on
 * warm keep-alive connections, and the report gives the median of the paired differences.
 */
import OpenAI from 'openai';
import { AgentConfig, LLMExecutor, LLMProvider } from '../src';
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

export interface StreamingResult {
  rows: StreamingRow[];
  /** Median over pairs of (library TTFT - raw TTFT), in ms. */
  medianPairedDifferenceMs: number;
}

const MODEL = 'gpt-4o-mini';
const MESSAGES = [{ role: 'user' as const, content: 'say one two three four five six seven eight nine ten' }];

async function main(): Promise<void> {
  silenceLibraryLogs();
  const started = machine();
  const server = await startFaultServer();
  try {
    const raw = new OpenAI({ apiKey: 'sk-bench', baseURL: server.openaiBaseURL, maxRetries: 0 });
    const config = AgentConfig.from({
      provider: LLMProvider.OPENAI,
      model: MODEL,
      baseURL: server.openaiBaseURL,
      apiKey: 'sk-bench',
    });
    const executor = new LLMExecutor();

    const rawTtft = async (): Promise<number> => {
      const t0 = performance.now();
      let first = NaN;
      const stream = await raw.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true });
      for await (const chunk of stream) {
        if (Number.isNaN(first) && chunk.choices[0]?.delta?.content) first = performance.now() - t0;
      }
      return first;
    };
    const libraryTtft = async (): Promise<number> => {
      const t0 = performance.now();
      let first = NaN;
      for await (const delta of executor.executeStream(config, MESSAGES)) {
        if (Number.isNaN(first) && delta) first = performance.now() - t0;
      }
      return first;
    };

    for (let i = 0; i < STREAMING.warmup; i++) {
      await rawTtft();
      await libraryTtft();
    }
    const rawTimes: number[] = [];
    const libraryTimes: number[] = [];
    for (let i = 0; i < STREAMING.streams; i++) {
      if (i % 2 === 0) {
        rawTimes.push(await rawTtft());
        libraryTimes.push(await libraryTtft());
      } else {
        libraryTimes.push(await libraryTtft());
        rawTimes.push(await rawTtft());
      }
    }
    if ([...rawTimes, ...libraryTimes].some(Number.isNaN)) throw new Error('a stream delivered no content');
    const row = (name: string, times: number[]): StreamingRow => ({
      name,
      medianMs: median(times),
      p90Ms: quantile(times, 0.9),
      minMs: Math.min(...times),
    });
    const result: StreamingResult = {
      rows: [row('openai SDK stream (maxRetries: 0)', rawTimes), row('llm-resilience executeStream', libraryTimes)],
      medianPairedDifferenceMs: median(libraryTimes.map((t, i) => t - rawTimes[i])),
    };

    console.log(`streaming — ${describeMachine(started)}`);
    console.log(
      `time to first token, ${STREAMING.streams} streams each after ${STREAMING.warmup} warm-up, alternating; fault server on loopback, no faults\n`,
    );
    console.log('| client | median TTFT (ms) | p90 (ms) | min (ms) |');
    console.log('|---|---:|---:|---:|');
    for (const r of result.rows)
      console.log(`| ${r.name} | ${r.medianMs.toFixed(3)} | ${r.p90Ms.toFixed(3)} | ${r.minMs.toFixed(3)} |`);
    console.log(`\nmedian paired difference (executeStream − raw): ${result.medianPairedDifferenceMs.toFixed(3)} ms`);
    if (wantsJson()) emitJson({ machine: started, ...result });
  } finally {
    await server.close();
  }
}

runMain(module, main);
