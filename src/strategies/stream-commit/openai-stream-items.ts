import { ID_TOKEN, StreamEventError } from './stream-event-error';
import type { StreamItemRules } from './stream-items';

// The items of the openai SDK's streams: Chat Completions chunks, and Responses API events
// (`responses.create({ stream: true })`, `responses.stream()`, `responses.retrieve(id, { stream: true })`).

type Fields = Record<string, unknown>;

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null ? (value as Fields) : undefined;
}

function nonEmpty(value: unknown): boolean {
  return (typeof value === 'string' && value !== '') || (Array.isArray(value) && value.length > 0);
}

/** A chat chunk delivers content when a choice's delta has text, a refusal or a tool call. */
function chunkHasContent(choices: unknown[]): boolean {
  for (const choice of choices) {
    const delta = fieldsOf(fieldsOf(choice)?.delta);
    if (delta === undefined) continue;
    if (nonEmpty(delta.content) || nonEmpty(delta.refusal) || nonEmpty(delta.tool_calls)) return true;
    if (fieldsOf(delta.function_call) !== undefined) return true;
  }
  return false;
}

/**
 * The content rule: a Responses event that delivers output (any `response.….delta`: text,
 * refusal, function-call arguments, reasoning, ...; or `response.output_item.done`, for items
 * that stream no deltas), or a chat chunk with content. Lifecycle events (`response.created`,
 * `response.in_progress`, `response.output_item.added`, `response.content_part.added`, ...),
 * `error` events and role-only chunks do not commit. A non-empty string commits; any other
 * shape commits too (the first-item rule).
 */
function commits(item: unknown): boolean {
  if (typeof item === 'string') return item !== '';
  const fields = fieldsOf(item);
  if (fields === undefined) return true;
  const { type } = fields;
  if (typeof type === 'string') {
    if (type.startsWith('response.')) return type.endsWith('.delta') || type === 'response.output_item.done';
    return type !== 'error';
  }
  if (Array.isArray(fields.choices)) return chunkHasContent(fields.choices);
  return true;
}

/**
 * Failure events, which the SDK yields instead of throwing: `response.failed` (by
 * `response.error.code`), `error` (by `code`), and `response.incomplete` for a content filter
 * (`max_output_tokens` is an answer: it passes through).
 */
function failureOf(item: unknown): Error | undefined {
  const fields = fieldsOf(item);
  const type = fields?.type;
  if (type !== 'response.failed' && type !== 'error' && type !== 'response.incomplete') return undefined;
  const response = fieldsOf(fields!.response);
  const sequenceNumber = fields!.sequence_number;
  if (type === 'response.incomplete') {
    const reason = fieldsOf(response?.incomplete_details)?.reason;
    if (reason !== 'content_filter') return undefined;
    return new StreamEventError(type, { code: reason, responseId: response?.id, sequenceNumber });
  }
  if (type === 'response.failed') {
    const code = fieldsOf(response?.error)?.code;
    return new StreamEventError(type, { code, responseId: response?.id, sequenceNumber });
  }
  return new StreamEventError(type, { code: fields!.code ?? fieldsOf(fields!.error)?.code, sequenceNumber });
}

function textOf(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  const fields = fieldsOf(item);
  if (fields === undefined) return undefined;
  if (fields.type === 'response.output_text.delta') return typeof fields.delta === 'string' ? fields.delta : undefined;
  if (!Array.isArray(fields.choices)) return undefined;
  const content = fieldsOf(fieldsOf(fields.choices[0])?.delta)?.content;
  return typeof content === 'string' ? content : undefined;
}

function responseIdOf(item: unknown): string | undefined {
  const id = fieldsOf(fieldsOf(item)?.response)?.id;
  return typeof id === 'string' && ID_TOKEN.test(id) ? id : undefined;
}

function sequenceOf(item: unknown): number | undefined {
  const sequence = fieldsOf(item)?.sequence_number;
  return Number.isSafeInteger(sequence) ? (sequence as number) : undefined;
}

/** The items of OpenAI's and Azure OpenAI's streams, Chat Completions and Responses API. */
export const OPENAI_STREAM_ITEMS: StreamItemRules = Object.freeze({
  commits,
  failureOf,
  textOf,
  responseIdOf,
  sequenceOf,
});
