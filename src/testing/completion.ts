import type { IncompleteReason } from './fault-spec';
import { exampleFromSchema } from './json-schema-example';
import { jsonFrame, type Frame, type StreamScript } from './stream-script';

/**
 * The reply of an `ok` request, derived from the request only, so tests can predict it:
 * `Echo: <last user message>` (its first 200 characters), or a JSON document when the
 * request asked for `response_format` `json_schema` / `json_object`.
 */

export const ECHO_PREFIX = 'Echo: ';
export const ECHO_MAX_CHARS = 200;
/** Content pieces of a stream are at most this long (long words are split). */
export const MAX_CHUNK_CHARS = 16;

export function replyContent(body: Record<string, unknown>): string {
  const format = body.response_format as Record<string, unknown> | undefined;
  if (format?.type === 'json_schema') {
    const jsonSchema = format.json_schema as Record<string, unknown> | undefined;
    return JSON.stringify(exampleFromSchema(jsonSchema?.schema ?? {}));
  }
  if (format?.type === 'json_object') return JSON.stringify({ echo: lastUserText(body.messages) });
  return `${ECHO_PREFIX}${lastUserText(body.messages)}`;
}

/** The text of the last `user` message: a string, or the `text` parts of a content array. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as Record<string, unknown> | null;
    if (message?.role !== 'user') continue;
    return textOf(message.content).slice(0, ECHO_MAX_CHARS);
  }
  return '';
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join(' ');
}

/**
 * Splits content into stream pieces that concatenate back to it: words with their
 * leading whitespace (like model tokens, `'Echo:'`, `' hello'`), long runs cut at
 * MAX_CHUNK_CHARS. Deterministic, so `stream-cut:<n>` cuts at a predictable place.
 */
export function splitIntoChunks(content: string): string[] {
  const words = content.match(/\s*\S+|\s+$/g) ?? [];
  const pieces: string[] = [];
  for (const word of words) {
    for (let i = 0; i < word.length; i += MAX_CHUNK_CHARS) pieces.push(word.slice(i, i + MAX_CHUNK_CHARS));
  }
  return pieces;
}

/** A rough, deterministic token count (words) for `usage`. */
export function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export function promptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  return messages.reduce<number>((sum, message) => sum + countTokens(textOf(message?.content)) + 3, 0);
}

export interface ReplyMeta {
  id: string;
  model: string;
  created: number;
}

export function usageOf(body: Record<string, unknown>, content: string) {
  const prompt = promptTokens(body.messages);
  const completion = splitIntoChunks(content).length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A `chat.completion` object as OpenAI returns it (`finishReason` for the `incomplete:<reason>` fault). */
export function completionBody(
  meta: ReplyMeta,
  body: Record<string, unknown>,
  content: string,
  finishReason: 'stop' | 'length' | 'content_filter' = 'stop',
) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: 'fp_fault_server',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: usageOf(body, content),
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed reply, in order: a role chunk, one
 * chunk per content piece, a chunk with `finish_reason`, and, when the request set
 * `stream_options.include_usage`, a usage chunk with no choices (as OpenAI does).
 */
export function completionChunks(meta: ReplyMeta, body: Record<string, unknown>, content: string) {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: 'fp_fault_server',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const pieces = splitIntoChunks(content);
  const role = chunk({ role: 'assistant', content: '', refusal: null });
  const contents = pieces.map((piece) => chunk({ content: piece }));
  const final = chunk({}, 'stop');
  const options = body.stream_options as Record<string, unknown> | undefined;
  const usage =
    options?.include_usage === true
      ? [
          {
            id: meta.id,
            object: 'chat.completion.chunk',
            created: meta.created,
            model: meta.model,
            system_fingerprint: 'fp_fault_server',
            choices: [],
            usage: usageOf(body, content),
          },
        ]
      : [];
  return { role, contents, final, usage };
}

/** The chat `finish_reason` of an `incomplete:<reason>` fault. */
export function finishReasonOf(reason: IncompleteReason): 'length' | 'content_filter' {
  return reason === 'max_output_tokens' ? 'length' : 'content_filter';
}

/**
 * A chunk carrying only an `error`, as OpenAI sends one when a chat stream fails midway
 * (openai-node throws an `APIError` with no status for it).
 */
export function chatErrorChunk(type: string, code: string, message: string) {
  return { error: { message, type, param: null, code } };
}

/** The SSE frames of a streamed chat reply, and how stream faults end it early. */
export function chatStreamScript(meta: ReplyMeta, body: Record<string, unknown>, content: string): StreamScript {
  const { role, contents, final, usage } = completionChunks(meta, body, content);
  const pieces = splitIntoChunks(content);
  const done: Frame = { data: '[DONE]', tail: true };
  const error = (type: string, code: string, message: string): Frame[] => [
    jsonFrame(chatErrorChunk(type, code, message)),
  ];
  return {
    frames: [
      jsonFrame(role),
      ...contents.map((chunk, i) => jsonFrame(chunk, { delta: pieces[i] })),
      ...[final, ...usage].map((chunk) => jsonFrame(chunk, { tail: true })),
      done,
    ],
    start: { seq: 0, text: '' },
    endings: {
      failed: (_at, code) => error('server_error', code, `The response failed (${code}).`),
      error: () => error('server_error', 'server_error', 'The server had an error while processing your request.'),
      quota: () =>
        error(
          'insufficient_quota',
          'insufficient_quota',
          'You exceeded your current quota, please check your plan and billing details.',
        ),
      incomplete: (at, reason) => {
        const { final: last, usage: usageChunks } = completionChunks(meta, body, at.text);
        const finish = { ...last, choices: [{ ...last.choices[0], finish_reason: finishReasonOf(reason) }] };
        return [...[finish, ...usageChunks].map((chunk) => jsonFrame(chunk, { tail: true })), done];
      },
    },
  };
}
