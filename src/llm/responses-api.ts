import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type {
  Response,
  ResponseCreateParamsBase,
  ResponseInput,
  ResponseInputItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { StreamEventError } from '../strategies/stream-commit/stream-event-error';
import type { AgentConfig } from './agent-config';

// The Responses API and embeddings as the LLM layer calls them: request shapes, bodies, and a
// failed response read as the failure it reports.

/** One Responses API request of `ResilientLLMService` (`resilientResponse`, `resilientResponseStream`). */
export interface ResponseRequest {
  /** The input: a user message as a string, or a list of input items, as the `openai` SDK takes them. */
  input: string | ResponseInput;
  /** System (developer) instructions for this response. */
  instructions?: string;
  /** Sampling temperature (the model's default when unset). */
  temperature?: number;
  /** Upper bound of the answer's tokens (`max_output_tokens`; the model's default when unset). */
  maxOutputTokens?: number;
  /**
   * Run the response in background mode (`background: true`; the response is stored). A stream
   * of a background response can be re-attached where it broke (see `resume`). Without a stream,
   * `resilientResponse` returns the response as created (`status: 'queued'`): retrieve it later.
   * @default false
   */
  background?: boolean;
  /**
   * Streams only: re-attach a background stream that broke after its first content event
   * (`client.responses.retrieve(id, { stream: true, starting_after })`), instead of raising
   * `StreamInterruptedError`. Needs `background: true`.
   * @default the service's `resume` option
   */
  resume?: boolean;
  /**
   * Any other parameter of `client.responses.create` (`text`, `tools`, `reasoning`,
   * `metadata`, `previous_response_id`, ...), passed through as given.
   */
  params?: Omit<
    ResponseCreateParamsBase,
    | 'model'
    | 'input'
    | 'instructions'
    | 'temperature'
    | 'max_output_tokens'
    | 'background'
    | 'stream'
    | 'stream_options'
  >;
  /** The caller's cancellation: stops the call, its retries, waits and fallbacks. */
  signal?: AbortSignal;
}

/** One embeddings request of `ResilientLLMService.resilientEmbeddings`. */
export interface EmbeddingsRequest {
  /** The text, or texts, to embed (one vector each, in order). */
  input: string | string[];
  /** The vectors' size, for models that can shorten them (`text-embedding-3-*`; the model's size when unset). */
  dimensions?: number;
  /** The caller's cancellation: stops the call, its retries, waits and fallbacks. */
  signal?: AbortSignal;
}

/** The request body of `responses.create` for `agent` (the model, or the Azure deployment). */
export function responseBody(
  agent: AgentConfig,
  request: Pick<
    ResponseRequest,
    'input' | 'instructions' | 'temperature' | 'maxOutputTokens' | 'background' | 'params'
  >,
): ResponseCreateParamsBase {
  return {
    ...request.params,
    model: agent.model,
    input: request.input,
    ...(request.instructions === undefined ? {} : { instructions: request.instructions }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.maxOutputTokens === undefined ? {} : { max_output_tokens: request.maxOutputTokens }),
    ...(request.background === true ? { background: true } : {}),
  };
}

/** The request body of `embeddings.create` for `agent`. */
export function embeddingsBody(agent: AgentConfig, request: EmbeddingsRequest): EmbeddingCreateParams {
  return {
    model: agent.model,
    input: request.input,
    ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
  };
}

/**
 * A response that reports a failure in its body (HTTP 200) throws it as the stream event
 * would: `status: 'failed'` as `response.failed` (classified by `error.code`: `server_error`
 * retried, `insufficient_quota` a quota failure, ...), an answer stopped by the content
 * filter as `response.incomplete` (`content_filter`). Other responses come back as they are.
 */
export function checkedResponse(response: Response): Response {
  if (response?.status === 'failed') {
    throw new StreamEventError('response.failed', { code: response.error?.code, responseId: response.id });
  }
  if (response?.status === 'incomplete' && response.incomplete_details?.reason === 'content_filter') {
    throw new StreamEventError('response.incomplete', { code: 'content_filter', responseId: response.id });
  }
  return response;
}

/** The text deltas of a Responses stream (`response.output_text.delta`). */
export async function* outputTextDeltas(events: AsyncIterable<ResponseStreamEvent>): AsyncGenerator<string> {
  for await (const event of events) {
    if (event.type === 'response.output_text.delta' && event.delta) yield event.delta;
  }
}

/** Length of a response's text, for `llm_call_success` (`response_length`). */
export const responseLength = (response: Response): number => response?.output_text?.length ?? 0;

/** Length of an embeddings result, for `llm_call_success` (`vectors`). */
export const embeddingCount = (result: CreateEmbeddingResponse): number => result?.data?.length ?? 0;

type Part = { type?: unknown; text?: unknown; image_url?: unknown };

/**
 * Chat messages as Responses input items: system, developer, user and assistant messages with
 * text (and user images). Tool and function messages, and assistant tool calls, need the
 * Chat Completions API (`api: 'chat'`).
 * @throws TypeError for a message the Responses input cannot express this way.
 */
export function messagesAsResponseInput(messages: ChatCompletionMessageParam[]): ResponseInput {
  return messages.map((message, index): ResponseInputItem => {
    const { role } = message;
    if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant') {
      throw new TypeError(`messages[${index}]: a ${role} message needs api 'chat'`);
    }
    if (role === 'assistant' && (message.tool_calls?.length || message.function_call)) {
      throw new TypeError(`messages[${index}]: assistant tool calls need api 'chat'`);
    }
    const content = message.content;
    if (typeof content === 'string' || content === null || content === undefined) {
      return { role, content: content ?? '' };
    }
    if (role !== 'user') {
      // System, developer and assistant parts are text (or a refusal): joined as one text.
      const text = (content as Part[]).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
      return { role, content: text };
    }
    return {
      role,
      content: (content as Part[]).map((part) => {
        if (part.type === 'text' && typeof part.text === 'string') return { type: 'input_text', text: part.text };
        const image = part.image_url as { url?: string; detail?: 'low' | 'high' | 'auto' } | undefined;
        if (part.type === 'image_url' && typeof image?.url === 'string') {
          return { type: 'input_image', image_url: image.url, detail: image.detail ?? 'auto' };
        }
        throw new TypeError(`messages[${index}]: a ${String(part.type)} part needs api 'chat'`);
      }),
    };
  });
}
