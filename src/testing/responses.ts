import { countTokens, ECHO_MAX_CHARS, ECHO_PREFIX, splitIntoChunks } from './completion';
import type { IncompleteReason } from './fault-spec';
import { exampleFromSchema } from './json-schema-example';
import { jsonFrame, type Frame, type StreamPosition, type StreamScript } from './stream-script';

/**
 * The Responses API (`POST /v1/responses`): response objects and the event stream of
 * `stream: true`, shaped as OpenAI sends them so that `client.responses.create`,
 * `client.responses.stream` (its accumulator) and `client.responses.retrieve` parse them.
 *
 * A stream is `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, one `response.output_text.delta` per piece of the text,
 * `response.output_text.done`, `response.content_part.done`, `response.output_item.done`
 * and `response.completed`, with `sequence_number`s 0, 1, 2, ...
 */

/** What identifies one response. */
export interface ResponseMeta {
  /** `resp_...` */
  id: string;
  /** `msg_...`: the id of its message output item. */
  itemId: string;
  model: string;
  /** Unix seconds. */
  createdAt: number;
  background: boolean;
}

/** The text an `ok` response answers: like chat's, from `input` and `text.format`. */
export function responseText(body: Record<string, unknown>): string {
  const format = (body.text as Record<string, unknown> | undefined)?.format as Record<string, unknown> | undefined;
  if (format?.type === 'json_schema') return JSON.stringify(exampleFromSchema(format.schema ?? {}));
  if (format?.type === 'json_object') return JSON.stringify({ echo: lastUserInput(body.input) });
  return `${ECHO_PREFIX}${lastUserInput(body.input)}`;
}

/** `input` as a string, or the text of the last user message of an input item list. */
export function lastUserInput(input: unknown): string {
  if (typeof input === 'string') return input.slice(0, ECHO_MAX_CHARS);
  if (!Array.isArray(input)) return '';
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] as Record<string, unknown> | null;
    if (item?.role !== 'user') continue;
    const { content } = item;
    if (typeof content === 'string') return content.slice(0, ECHO_MAX_CHARS);
    if (!Array.isArray(content)) return '';
    return content
      .map((part) => (part?.type === 'input_text' && typeof part.text === 'string' ? part.text : ''))
      .filter(Boolean)
      .join(' ')
      .slice(0, ECHO_MAX_CHARS);
  }
  return '';
}

type Status = 'queued' | 'in_progress' | 'completed' | 'failed' | 'incomplete';

function outputText(text: string) {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function messageItem(meta: ResponseMeta, status: 'in_progress' | 'completed' | 'incomplete', text?: string) {
  return {
    id: meta.itemId,
    type: 'message',
    status,
    content: text === undefined ? [] : [outputText(text)],
    role: 'assistant',
  };
}

function usage(body: Record<string, unknown>, text: string) {
  const input = countTokens(lastUserInput(body.input)) + 3;
  const output = splitIntoChunks(text).length;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

interface ResponseState {
  status: Status;
  output?: unknown[];
  text?: string;
  error?: { code: string; message: string };
  incomplete?: IncompleteReason;
}

/** A `response` object as the API returns it. */
export function responseObject(meta: ResponseMeta, body: Record<string, unknown>, state: ResponseState) {
  const done = state.status === 'completed' || state.status === 'incomplete';
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.createdAt,
    status: state.status,
    background: meta.background,
    error: state.error ?? null,
    incomplete_details: state.incomplete ? { reason: state.incomplete } : null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null,
    model: meta.model,
    output: state.output ?? [],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: body.store !== false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: done ? usage(body, state.text ?? '') : null,
    user: null,
    metadata: {},
  };
}

/** The completed response of `text`. */
export function completedResponse(meta: ResponseMeta, body: Record<string, unknown>, text: string) {
  return responseObject(meta, body, { status: 'completed', text, output: [messageItem(meta, 'completed', text)] });
}

/** A response that failed with `code` after producing `text`. */
export function failedResponse(meta: ResponseMeta, body: Record<string, unknown>, text: string, code: string) {
  const output = text ? [messageItem(meta, 'incomplete', text)] : [];
  return responseObject(meta, body, { status: 'failed', output, error: { code, message: failedMessage(code) } });
}

/** A response that stopped early for `reason` after `text`. */
export function incompleteResponse(
  meta: ResponseMeta,
  body: Record<string, unknown>,
  text: string,
  reason: IncompleteReason,
) {
  const output = [messageItem(meta, 'incomplete', text)];
  return responseObject(meta, body, { status: 'incomplete', output, text, incomplete: reason });
}

/** The first half of the pieces of `text` (rounded up): what an incomplete response got to say. */
export function truncatedText(text: string): string {
  const pieces = splitIntoChunks(text);
  return pieces.slice(0, Math.ceil(pieces.length / 2)).join('');
}

/** `error.message` of a failed response. */
export function failedMessage(code: string): string {
  return code === 'server_error'
    ? 'The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if you keep seeing this error.'
    : `The response failed (${code}).`;
}

const QUOTA_MESSAGE =
  'You exceeded your current quota, please check your plan and billing details. ' +
  'For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.';

/**
 * An `error` event. OpenAI documents `code`, `message` and `param` at the top level; the
 * live API nests them under `error` (which is what makes openai-node throw an `APIError`):
 * both are sent.
 */
export function errorEventData(seq: number, type: string, code: string, message: string) {
  return {
    type: 'error',
    code,
    message,
    param: null,
    sequence_number: seq,
    error: { type, code, message, param: null },
  };
}

const STREAM_ERROR_MESSAGE = 'An error occurred while processing your request. You can retry your request.';

/** The event stream of a response answering `text`, and its early endings. */
export function responseStreamScript(meta: ResponseMeta, body: Record<string, unknown>, text: string): StreamScript {
  let seq = 0;
  const event = (type: string, fields: Record<string, unknown>, extra: Omit<Frame, 'data'> = {}): Frame => {
    const n = seq++;
    return jsonFrame({ type, sequence_number: n, ...fields }, { ...extra, event: type, seq: n });
  };
  const where = { item_id: meta.itemId, output_index: 0, content_index: 0 };
  const starting = responseObject(meta, body, { status: meta.background ? 'queued' : 'in_progress' });
  const frames: Frame[] = [
    event('response.created', { response: starting }),
    event('response.in_progress', { response: { ...starting, status: 'in_progress' } }),
    event('response.output_item.added', { output_index: 0, item: messageItem(meta, 'in_progress') }),
    event('response.content_part.added', { ...where, part: outputText('') }),
    ...splitIntoChunks(text).map((delta) =>
      event('response.output_text.delta', { ...where, delta, logprobs: [] }, { delta }),
    ),
    ...doneEvents(meta, text, 'completed', () => seq++),
    event('response.completed', { response: completedResponse(meta, body, text) }, { tail: true }),
  ];
  const single = (type: string, at: StreamPosition, fields: Record<string, unknown>): Frame =>
    jsonFrame({ type, sequence_number: at.seq, ...fields }, { event: type, seq: at.seq });
  return {
    frames,
    start: { seq: 0, text: '' },
    endings: {
      failed: (at, code) => [single('response.failed', at, { response: failedResponse(meta, body, at.text, code) })],
      error: (at) => [
        jsonFrame(errorEventData(at.seq, 'server_error', 'server_error', STREAM_ERROR_MESSAGE), {
          event: 'error',
          seq: at.seq,
        }),
      ],
      quota: (at) => [
        jsonFrame(errorEventData(at.seq, 'insufficient_quota', 'insufficient_quota', QUOTA_MESSAGE), {
          event: 'error',
          seq: at.seq,
        }),
      ],
      incomplete: (at, reason) => {
        let next = at.seq;
        const done = doneEvents(meta, at.text, 'incomplete', () => next++);
        const last = next;
        return [
          ...done,
          jsonFrame(
            {
              type: 'response.incomplete',
              sequence_number: last,
              response: incompleteResponse(meta, body, at.text, reason),
            },
            { event: 'response.incomplete', seq: last },
          ),
        ];
      },
    },
  };
}

/** `response.output_text.done`, `response.content_part.done`, `response.output_item.done`. */
function doneEvents(
  meta: ResponseMeta,
  text: string,
  status: 'completed' | 'incomplete',
  nextSeq: () => number,
): Frame[] {
  const where = { item_id: meta.itemId, output_index: 0, content_index: 0 };
  const fields: Array<[string, Record<string, unknown>]> = [
    ['response.output_text.done', { ...where, text, logprobs: [] }],
    ['response.content_part.done', { ...where, part: outputText(text) }],
    ['response.output_item.done', { output_index: 0, item: messageItem(meta, status, text) }],
  ];
  return fields.map(([type, data]) => {
    const seq = nextSeq();
    return jsonFrame({ type, sequence_number: seq, ...data }, { event: type, seq, tail: true });
  });
}
