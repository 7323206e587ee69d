import { APIConnectionError, InternalServerError } from 'openai';
import {
  classifyError,
  createResiliencePipeline,
  isStreamEventError,
  isStreamInterruptedError,
  isStreamTimeoutError,
  Retry,
  RetryOpenAI,
  type RetryContext,
  type StreamPosition,
  type Tracer,
} from '../../src';
import { connectionReset } from '../support/errors';

/** A cut connection as the openai SDK reports it (what `provider: 'openai'` retries). */
const cut = () => new APIConnectionError({ cause: connectionReset() });
import { useRetryTestEnvironment } from '../support/retry-test-environment';

// The commit point of a stream (strategies/stream-commit): what is held back, retried,
// interrupted, timed out and resumed, with Responses API events and Chat Completions chunks
// shaped as the openai SDK yields them.

let events: Array<[string, Record<string, unknown>]> = [];
const tracer: Tracer = { logEvent: (event, details) => void events.push([event, details]) };
const env = useRetryTestEnvironment(() => ({ tracer }));
beforeEach(() => {
  events = [];
});

type Event = { type: string; sequence_number: number; [field: string]: unknown };

/** The events of a healthy Responses stream answering `words`. */
function responseEvents(id: string, words: string[]): Event[] {
  const out: Array<Omit<Event, 'sequence_number'>> = [
    { type: 'response.created', response: { id, status: 'in_progress' } },
    { type: 'response.in_progress', response: { id, status: 'in_progress' } },
    { type: 'response.output_item.added', output_index: 0, item: { type: 'message' } },
    { type: 'response.content_part.added', output_index: 0, content_index: 0 },
    ...words.map((delta) => ({ type: 'response.output_text.delta', delta })),
    { type: 'response.output_text.done', text: words.join('') },
    { type: 'response.completed', response: { id, status: 'completed' } },
  ];
  return out.map((event, index) => ({ ...event, sequence_number: index }) as Event);
}

const failed = (id: string, code: string): Omit<Event, 'sequence_number'> => ({
  type: 'response.failed',
  response: { id, status: 'failed', error: { code, message: 'the prompt said: secret' } },
});

/**
 * A source that yields `items`, then fails with `failure` (a thrown error), or stalls (`'stall'`:
 * waits for the attempt's abort). Records whether it was closed and why its signal aborted.
 */
function source<T>(items: T[], end?: unknown) {
  const log = { closed: 0, aborted: [] as unknown[] };
  const fn = (context: RetryContext) =>
    (async function* () {
      try {
        for (const item of items) yield item;
        if (end === 'stall') {
          await new Promise((_, reject) =>
            context.signal.addEventListener('abort', () => {
              log.aborted.push(context.signal.reason);
              reject(context.signal.reason as Error);
            }),
          );
        }
        if (end !== undefined) throw end;
      } finally {
        log.closed++;
      }
    })();
  return { fn, log };
}

/** Runs each attempt's source in turn. */
function attempts<T>(...sources: Array<(context: RetryContext) => AsyncIterable<T>>) {
  let n = 0;
  return {
    fn: (context: RetryContext) => sources[Math.min(n++, sources.length - 1)](context),
    count: () => n,
  };
}

/** Reads the whole stream on the fake clock: the items and the error it ended with. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error?: any }> {
  const items: T[] = [];
  const done = (async () => {
    for await (const item of stream) items.push(item);
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  await jest.runAllTimersAsync();
  const error = await done;
  return { items, error };
}

const types = (items: unknown[]) => items.map((item) => (item as Event).type);

describe('Responses streams (provider openai): one exact commit point', () => {
  const pipeline = () => createResiliencePipeline({ name: 'responses', provider: 'openai' });

  it('holds lifecycle events back and hands them over with the first delta: a retried attempt shows one response.created', async () => {
    const good = responseEvents('resp_2', ['Hel', 'lo']);
    const run = attempts(
      // Attempt 1 breaks after its lifecycle events, before any content.
      source(responseEvents('resp_1', ['x']).slice(0, 4), cut()).fn,
      source(good).fn,
    );
    const { items, error } = await drain(pipeline().stream(run.fn));
    expect(error).toBeUndefined();
    expect(run.count()).toBe(2);
    expect(items).toEqual(good);
    expect(types(items).filter((type) => type === 'response.created')).toHaveLength(1);
  });

  it.each([
    ['server_error', 2, 'server'],
    ['rate_limit_exceeded', 2, 'rate_limit'],
    ['insufficient_quota', 1, 'quota_exhausted'],
    ['invalid_prompt', 1, 'bad_request'],
    ['something_new', 1, 'unknown'],
  ])('response.failed (%s) before the first delta: %i attempt(s), classified %s', async (code, made, kind) => {
    const head = responseEvents('resp_1', []).slice(0, 3);
    const run = attempts(
      source([...head, { ...failed('resp_1', code), sequence_number: 3 }]).fn,
      source(responseEvents('resp_2', ['ok'])).fn,
    );
    const { items, error } = await drain(pipeline().stream(run.fn));
    expect(run.count()).toBe(made);
    if (made === 2) {
      expect(error).toBeUndefined();
      expect(types(items)[0]).toBe('response.created');
      expect((items[0] as unknown as { response: { id: string } }).response.id).toBe('resp_2');
    } else {
      // Never retried, and nothing held back reaches the caller.
      expect(items).toEqual([]);
      expect(isStreamEventError(error)).toBe(true);
      expect(classifyError(error).kind).toBe(kind);
      expect(error.message).not.toContain('secret');
    }
  });

  it('an error event before the first delta is classified by its code', async () => {
    const run = attempts(
      source([{ type: 'error', code: 'server_error', message: 'oops', sequence_number: 1 }]).fn,
      source(responseEvents('resp_2', ['ok'])).fn,
    );
    const { error } = await drain(pipeline().stream(run.fn));
    expect(error).toBeUndefined();
    expect(run.count()).toBe(2);
  });

  it('response.failed after the first delta: StreamInterruptedError with the response, position and text so far; the source is closed', async () => {
    const events = [
      ...responseEvents('resp_1', ['Par', 'tial']).slice(0, 6),
      { ...failed('resp_1', 'server_error'), sequence_number: 6 },
    ];
    const first = source(events);
    const run = attempts(first.fn);
    const { items, error } = await drain(pipeline().stream(run.fn));
    expect(run.count()).toBe(1);
    expect(types(items)).toEqual(types(events.slice(0, 6)));
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({
      itemsReceived: 6,
      partialText: 'Partial',
      responseId: 'resp_1',
      sequenceNumber: 5,
      kind: 'server',
    });
    expect(isStreamEventError(error.cause)).toBe(true);
    expect(classifyError(error)).toMatchObject({ kind: 'server', retryable: false });
    // Never the text in the message, nor in any rendering of the error.
    expect(error.message).not.toContain('Partial');
    expect(JSON.stringify(error)).not.toContain('Partial');
    expect(first.log.closed).toBe(1);
    expect(events.length).toBeGreaterThan(0);
  });

  it('a stream that ends without content hands its held items over (nothing is lost)', async () => {
    const only = [
      { type: 'response.created', response: { id: 'resp_1' }, sequence_number: 0 },
      {
        type: 'response.incomplete',
        response: { id: 'resp_1', incomplete_details: { reason: 'max_output_tokens' } },
        sequence_number: 1,
      },
    ];
    const { items, error } = await drain(pipeline().stream(source(only).fn));
    expect(error).toBeUndefined();
    expect(items).toEqual(only);
  });

  it('response.incomplete for the content filter is not retried', async () => {
    const run = attempts(
      source([
        {
          type: 'response.incomplete',
          response: { id: 'resp_1', incomplete_details: { reason: 'content_filter' } },
          sequence_number: 1,
        },
      ]).fn,
    );
    const { error } = await drain(pipeline().stream(run.fn));
    expect(run.count()).toBe(1);
    expect(classifyError(error)).toMatchObject({ kind: 'content_filter', retryable: false });
  });
});

describe('Chat Completions chunks: a role-only chunk does not commit', () => {
  const chunk = (delta: Record<string, unknown>) => ({
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta }],
  });

  it('retries a cut after the role-only chunk, and shows the caller one role chunk', async () => {
    const run = attempts(
      source([chunk({ role: 'assistant' })], connectionReset()).fn,
      source([chunk({ role: 'assistant' }), chunk({ content: 'Hi' })]).fn,
    );
    const { items, error } = await drain(createResiliencePipeline({ provider: 'azure' }).stream(run.fn));
    expect(error).toBeUndefined();
    expect(run.count()).toBe(2);
    expect(items).toEqual([chunk({ role: 'assistant' }), chunk({ content: 'Hi' })]);
  });

  it.each([
    ['a refusal', { refusal: 'no' }],
    ['a tool call', { tool_calls: [{ index: 0, function: { arguments: '{' } }] }],
  ])('commits on %s', async (_name, delta) => {
    const run = attempts(source([chunk({ role: 'assistant' }), chunk(delta)], connectionReset()).fn);
    const { error } = await drain(createResiliencePipeline({ provider: 'openai' }).stream(run.fn));
    expect(run.count()).toBe(1);
    expect(isStreamInterruptedError(error)).toBe(true);
  });

  it('with the network provider the first item commits (any async iterable)', async () => {
    const run = attempts(source([chunk({ role: 'assistant' })], connectionReset()).fn);
    const { error } = await drain(createResiliencePipeline({ provider: 'network' }).stream(run.fn));
    expect(run.count()).toBe(1);
    expect(isStreamInterruptedError(error)).toBe(true);
  });
});

describe('streamCommit', () => {
  it('decides the commit point of any stream (decorators too)', async () => {
    let calls = 0;
    class Tokens {
      @Retry({ shouldRetry: () => true, streamCommit: (item: { kind: string }) => item.kind === 'token' })
      async *stream() {
        calls++;
        yield { kind: 'meta' };
        if (calls === 1) throw connectionReset();
        yield { kind: 'token' };
      }
    }
    const { items, error } = await drain(new Tokens().stream());
    expect(error).toBeUndefined();
    expect(calls).toBe(2);
    expect(items).toEqual([{ kind: 'meta' }, { kind: 'token' }]);
  });

  it('is checked when the class is defined', () => {
    expect(() => {
      class Bad {
        @RetryOpenAI({ streamCommit: 'content' as never })
        async *stream() {}
      }
      return Bad;
    }).toThrow(/streamCommit must be a function/);
  });
});

describe('firstItemTimeoutMs and idleTimeoutMs', () => {
  it('no content within firstItemTimeoutMs: a retryable timeout that aborts the attempt', async () => {
    const stalled = source([{ type: 'response.created', response: { id: 'resp_1' }, sequence_number: 0 }], 'stall');
    const run = attempts(stalled.fn, source(responseEvents('resp_2', ['ok'])).fn);
    const pipeline = createResiliencePipeline({ provider: 'openai', firstItemTimeoutMs: 5_000 });
    const { items, error } = await drain(pipeline.stream(run.fn));
    expect(error).toBeUndefined();
    expect(run.count()).toBe(2);
    expect(stalled.log.aborted).toHaveLength(1);
    expect(isStreamTimeoutError(stalled.log.aborted[0])).toBe(true);
    expect(stalled.log.aborted[0]).toMatchObject({ phase: 'first_item', timeoutMs: 5_000 });
    expect(types(items).filter((type) => type === 'response.created')).toHaveLength(1);
  });

  it('no item for idleTimeoutMs after the commit point: StreamInterruptedError caused by the idle timeout', async () => {
    const stalled = source(responseEvents('resp_1', ['Hi']).slice(0, 5), 'stall');
    const pipeline = createResiliencePipeline({ provider: 'openai', idleTimeoutMs: 2_000 });
    const { items, error } = await drain(pipeline.stream(stalled.fn));
    expect(items).toHaveLength(5);
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'timeout', partialText: 'Hi' });
    expect(isStreamTimeoutError(error.cause)).toBe(true);
    expect(error.cause).toMatchObject({ phase: 'idle', timeoutMs: 2_000 });
    expect(stalled.log.aborted).toEqual([error.cause]);
    expect(events.filter(([name]) => name === 'retry_not_retryable').map(([, d]) => d.reason)).toEqual([
      'stream_started',
    ]);
  });

  it('the caller’s own time between items is not idle time', async () => {
    const pipeline = createResiliencePipeline({ provider: 'openai', idleTimeoutMs: 1_000 });
    const all = responseEvents('resp_1', ['a', 'b', 'c']);
    const items: unknown[] = [];
    const done = (async () => {
      for await (const item of pipeline.stream(source(all).fn)) {
        items.push(item);
        // The caller takes 5 s over each item.
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      }
    })();
    await jest.runAllTimersAsync();
    await done;
    expect(items).toEqual(all);
  });
});

describe('resume after the commit point', () => {
  it('re-attaches from the last event received: no duplicated, no missing sequence number', async () => {
    const all = responseEvents('resp_1', ['a', 'b', 'c', 'd']);
    const broken = source(all.slice(0, 6), cut());
    const froms: StreamPosition[] = [];
    const pipeline = createResiliencePipeline({ provider: 'openai' });
    const { items, error } = await drain(
      pipeline.stream(broken.fn, {
        resume: (from) => {
          froms.push(from);
          // A server that repeats one event it already sent: skipped.
          return source(all.slice(from.sequenceNumber)).fn({ signal: new AbortController().signal } as RetryContext);
        },
      }),
    );
    expect(error).toBeUndefined();
    expect(froms).toEqual([{ responseId: 'resp_1', sequenceNumber: 5 }]);
    expect(items.map((item) => (item as Event).sequence_number)).toEqual(all.map((event) => event.sequence_number));
  });

  it('does not resume a response that failed (its own failure event)', async () => {
    const events = [
      ...responseEvents('resp_1', ['a']).slice(0, 5),
      { ...failed('resp_1', 'server_error'), sequence_number: 5 },
    ];
    const resume = jest.fn();
    const { error } = await drain(
      createResiliencePipeline({ provider: 'openai' }).stream(source(events).fn, { resume }),
    );
    expect(resume).not.toHaveBeenCalled();
    expect(isStreamInterruptedError(error)).toBe(true);
  });

  it('gives up with StreamInterruptedError when re-attaching keeps failing (maxAttempts)', async () => {
    const all = responseEvents('resp_1', ['a', 'b']);
    const resume = jest.fn(() =>
      source([], new InternalServerError(503, undefined, undefined, new Headers())).fn({} as RetryContext),
    );
    const pipeline = createResiliencePipeline({ provider: 'openai', maxAttempts: 3 });
    const { items, error } = await drain(pipeline.stream(source(all.slice(0, 5), cut()).fn, { resume }));
    expect(resume).toHaveBeenCalledTimes(2);
    expect(items).toHaveLength(5);
    expect(isStreamInterruptedError(error)).toBe(true);
    expect(error).toMatchObject({ sequenceNumber: 4, responseId: 'resp_1' });
  });

  it('re-attaching obeys the deadline: a stalled re-attach is cut at totalTimeoutMs, the stream ends interrupted', async () => {
    const all = responseEvents('resp_1', ['a', 'b']);
    const stalled = source<Event>([], 'stall');
    const pipeline = createResiliencePipeline({ provider: 'openai', totalTimeoutMs: 30_000, maxAttempts: 5 });
    const { items, error } = await drain(
      pipeline.stream(source(all.slice(0, 5), cut()).fn, { resume: (_from, context) => stalled.fn(context) }),
    );
    expect(items).toHaveLength(5);
    expect(isStreamInterruptedError(error)).toBe(true);
    // What broke the stream stays its cause (the cut), as a call cut by its deadline ends with its last error.
    expect(error).toMatchObject({ kind: 'network', responseId: 'resp_1', sequenceNumber: 4 });
    // The re-attach's request was aborted by the deadline.
    expect(stalled.log.aborted).toHaveLength(1);
  });

  it('the caller’s abort during a re-attach ends the stream with the abort reason', async () => {
    const controller = new AbortController();
    const all = responseEvents('resp_1', ['a', 'b']);
    const stalled = source<Event>([], 'stall');
    const stream = createResiliencePipeline({ provider: 'openai' }).stream(source(all.slice(0, 5), cut()).fn, {
      signal: controller.signal,
      resume: (_from, context) => {
        setTimeout(() => controller.abort(new Error('user left')), 1_000);
        return stalled.fn(context);
      },
    });
    const { items, error } = await drain(stream);
    expect(items).toHaveLength(5);
    expect(error).toMatchObject({ message: 'user left' });
    expect(stalled.log.aborted).toHaveLength(1);
  });

  it('refuses a resume that is not a function', () => {
    const pipeline = createResiliencePipeline({ provider: 'openai' });
    return expect(pipeline.stream(source([]).fn, { resume: 'yes' as never }).next()).rejects.toThrow(
      /resume must be a function/,
    );
  });
});

describe('the caller never waits on a held item forever', () => {
  it('a caller abort ends a stream that is holding items back', async () => {
    const controller = new AbortController();
    const stalled = source([{ type: 'response.created', response: { id: 'resp_1' }, sequence_number: 0 }], 'stall');
    const stream = createResiliencePipeline({ provider: 'openai' }).stream(stalled.fn, { signal: controller.signal });
    const next = stream.next().then(
      () => 'value',
      (error: unknown) => error,
    );
    await jest.advanceTimersByTimeAsync(10);
    controller.abort(new Error('user left'));
    expect(await next).toMatchObject({ message: 'user left' });
  });
});

void env;
