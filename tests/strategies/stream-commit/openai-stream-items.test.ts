import { OPENAI_STREAM_ITEMS } from '../../../src/strategies/stream-commit/openai-stream-items';
import { FIRST_ITEM_COMMITS } from '../../../src/strategies/stream-commit/stream-items';
import { classifyError, isStreamEventError } from '../../../src';

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, ...extra }],
});
const event = (type: string, fields: Record<string, unknown> = {}) => ({ type, sequence_number: 3, ...fields });

describe('the content rule (what commits an OpenAI stream)', () => {
  it.each<[string, unknown, boolean]>([
    ['response.created', event('response.created', { response: { id: 'resp_1' } }), false],
    ['response.in_progress', event('response.in_progress'), false],
    ['response.output_item.added', event('response.output_item.added'), false],
    ['response.content_part.added', event('response.content_part.added'), false],
    ['response.output_text.delta', event('response.output_text.delta', { delta: 'Hi' }), true],
    ['response.refusal.delta', event('response.refusal.delta', { delta: 'no' }), true],
    ['response.function_call_arguments.delta', event('response.function_call_arguments.delta', { delta: '{' }), true],
    ['response.reasoning_summary_text.delta', event('response.reasoning_summary_text.delta', { delta: 'So' }), true],
    ['response.output_item.done (a tool call streams no deltas)', event('response.output_item.done'), true],
    ['response.completed', event('response.completed'), false],
    ['an error event', event('error', { code: 'server_error' }), false],
    ['a role-only chunk', chunk({ role: 'assistant' }), false],
    ['a chunk with empty content', chunk({ content: '' }), false],
    ['a usage-only chunk (no choices)', { object: 'chat.completion.chunk', choices: [], usage: {} }, false],
    ['a chunk with content', chunk({ content: 'Hi' }), true],
    ['a chunk with a refusal', chunk({ refusal: 'no' }), true],
    ['a chunk with a tool call', chunk({ tool_calls: [{ index: 0 }] }), true],
    ['a chunk with a legacy function call', chunk({ function_call: { name: 'f' } }), true],
    ['a non-empty string', 'Hi', true],
    ['an empty string', '', false],
    ['any other object (first item commits)', { token: 'x' }, true],
    ['an object with another type', { type: 'token' }, true],
    ['a number', 7, true],
    ['null', null, true],
    ['a chunk with an empty tool-call list', chunk({ tool_calls: [] }), false],
  ])('%s -> %p', (_name, item, commits) => {
    expect(OPENAI_STREAM_ITEMS.commits(item)).toBe(commits);
  });

  it('any item commits any other stream', () => {
    expect(FIRST_ITEM_COMMITS.commits(chunk({ role: 'assistant' }))).toBe(true);
    expect(FIRST_ITEM_COMMITS.failureOf(event('response.failed'))).toBeUndefined();
  });
});

describe('failure events', () => {
  it.each<[string, unknown, string | undefined, string | undefined]>([
    [
      'response.failed server_error',
      event('response.failed', {
        response: { id: 'resp_1', error: { code: 'server_error', message: 'secret prompt' } },
      }),
      'server',
      'server_error',
    ],
    [
      'response.failed insufficient_quota',
      event('response.failed', { response: { error: { code: 'insufficient_quota' } } }),
      'quota_exhausted',
      'insufficient_quota',
    ],
    ['response.failed with no error', event('response.failed', { response: {} }), 'unknown', undefined],
    ['an error event', event('error', { code: 'rate_limit_exceeded' }), 'rate_limit', 'rate_limit_exceeded'],
    [
      'an error event with a nested error',
      event('error', { error: { code: 'server_error' } }),
      'server',
      'server_error',
    ],
    [
      'response.incomplete content_filter',
      event('response.incomplete', { response: { incomplete_details: { reason: 'content_filter' } } }),
      'content_filter',
      'content_filter',
    ],
    [
      'a code that is not a plain token is dropped',
      event('error', { code: 'the prompt: hello' }),
      'unknown',
      undefined,
    ],
  ])('%s -> %s', (_name, item, kind, code) => {
    const failure = OPENAI_STREAM_ITEMS.failureOf(item);
    expect(isStreamEventError(failure)).toBe(true);
    expect(classifyError(failure).kind).toBe(kind);
    expect((failure as { code?: string }).code).toBe(code);
    expect(failure!.message).not.toContain('secret');
    expect(failure!.message).not.toContain('hello');
  });

  it.each([
    [
      'response.incomplete max_output_tokens (an answer)',
      event('response.incomplete', { response: { incomplete_details: { reason: 'max_output_tokens' } } }),
    ],
    ['response.completed', event('response.completed')],
    ['a chunk', chunk({ content: 'x' })],
    ['a string', 'x'],
    ['null', null],
  ])('%s is no failure', (_name, item) => {
    expect(OPENAI_STREAM_ITEMS.failureOf(item)).toBeUndefined();
  });

  it('names in its message only the codes of the table (a server may echo anything in a code)', () => {
    const echoed = OPENAI_STREAM_ITEMS.failureOf(event('error', { code: 'Project_Nightingale_merger' }));
    expect(echoed).toMatchObject({ code: 'Project_Nightingale_merger' });
    expect(echoed!.message).toBe('The stream reported error (an unrecognised code)');
    expect(OPENAI_STREAM_ITEMS.failureOf(event('error', { code: 'server_error' }))!.message).toBe(
      'The stream reported error (server_error)',
    );
  });

  it('keeps the response and position of a response.failed', () => {
    const failure = OPENAI_STREAM_ITEMS.failureOf(
      event('response.failed', { response: { id: 'resp_9', error: { code: 'server_error' } } }),
    );
    expect(failure).toMatchObject({ event: 'response.failed', responseId: 'resp_9', sequenceNumber: 3 });
  });
});

describe('text and position', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a text delta', event('response.output_text.delta', { delta: 'Hi' }), 'Hi'],
    ['a refusal delta (not text)', event('response.refusal.delta', { delta: 'no' }), undefined],
    ['a chunk', chunk({ content: 'Hi' }), 'Hi'],
    ['a role chunk', chunk({ role: 'assistant' }), undefined],
    ['a string', 'Hi', 'Hi'],
  ])('%s -> %p', (_name, item, text) => {
    expect(OPENAI_STREAM_ITEMS.textOf(item)).toBe(text);
  });

  it('reads the response id (a plain id only) and the sequence number', () => {
    expect(OPENAI_STREAM_ITEMS.responseIdOf(event('response.created', { response: { id: 'resp_abc' } }))).toBe(
      'resp_abc',
    );
    expect(
      OPENAI_STREAM_ITEMS.responseIdOf(event('response.created', { response: { id: 'resp abc\n' } })),
    ).toBeUndefined();
    expect(OPENAI_STREAM_ITEMS.sequenceOf(event('response.created'))).toBe(3);
    expect(OPENAI_STREAM_ITEMS.sequenceOf({ sequence_number: 1.5 })).toBeUndefined();
    expect(OPENAI_STREAM_ITEMS.sequenceOf(chunk({}))).toBeUndefined();
  });
});
