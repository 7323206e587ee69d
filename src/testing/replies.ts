import { chatStreamScript, completionBody, finishReasonOf, replyContent, type ReplyMeta } from './completion';
import { embeddingsBody, modelsBody } from './embeddings';
import type { Fault } from './fault-spec';
import {
  completedResponse,
  responseObject,
  responseStreamScript,
  responseText,
  truncatedText,
  type ResponseMeta,
} from './responses';
import { faultedFrames, type Frame, type StreamScript } from './stream-script';

/**
 * What each API answers, as data the server writes under any fault: the JSON of an `ok`
 * reply, the stream script when the request streams, and the 200 body of the faults that
 * have one for that API (`response-failed` and `incomplete:<reason>` on Responses,
 * `incomplete:<reason>` on chat).
 */
export interface ApiReply {
  /** The JSON body of an `ok` reply. */
  json(): unknown;
  /** The stream, when the request asked for one. */
  stream?: StreamScript;
  /** The 200 body a fault gives, or `undefined` when the fault has none here. */
  faultJson(fault: Fault): unknown;
}

/** Chat completions: `incomplete:<reason>` ends with finish_reason `length` / `content_filter`. */
export function chatReply(meta: ReplyMeta, body: Record<string, unknown>, stream: boolean): ApiReply {
  const content = replyContent(body);
  return {
    json: () => completionBody(meta, body, content),
    stream: stream ? chatStreamScript(meta, body, content) : undefined,
    faultJson: (fault) =>
      fault.kind === 'incomplete'
        ? completionBody(meta, body, truncatedText(content), finishReasonOf(fault.reason))
        : undefined,
  };
}

/** A background response the server keeps, with every event of its stream. */
export interface StoredResponse {
  meta: ResponseMeta;
  body: Record<string, unknown>;
  /** The response as `GET /v1/responses/{id}` returns it (its final state). */
  response: unknown;
  /** Its whole event stream (faults that cut the delivery do not cut these). */
  frames: Frame[];
}

/**
 * Creating a response. A `background: true` request is answered `queued` (its events when
 * it streams) and kept: `stored` is what `retrieve` will see.
 */
export function responsesReply(
  meta: ResponseMeta,
  body: Record<string, unknown>,
  stream: boolean,
  fault: Fault,
): { reply: ApiReply; stored?: StoredResponse } {
  const text = responseText(body);
  const script = responseStreamScript(meta, body, text);
  const ending =
    fault.kind === 'response-failed' || fault.kind === 'incomplete' ? faultedFrames(script, fault) : undefined;
  const finalOf = (frames: Frame[]): unknown =>
    (JSON.parse(frames[frames.length - 1].data) as { response: unknown }).response;
  const queued = responseObject(meta, body, { status: 'queued' });
  const reply: ApiReply = {
    json: () => (meta.background ? queued : completedResponse(meta, body, text)),
    stream: stream ? script : undefined,
    faultJson: (f) => {
      const frames = f.kind === 'response-failed' || f.kind === 'incomplete' ? faultedFrames(script, f) : undefined;
      if (!frames) return undefined;
      return meta.background ? queued : finalOf(frames);
    },
  };
  const keeps = meta.background && KEPT_FAULTS.has(fault.kind);
  if (!keeps) return { reply };
  const frames = ending ?? script.frames;
  return { reply, stored: { meta, body, response: finalOf(frames), frames } };
}

/** Faults under which a background response comes into being (the rest fail the request itself). */
const KEPT_FAULTS = new Set<Fault['kind']>([
  'ok',
  'slow',
  'stall-first',
  'stall',
  'stream-cut',
  'error-event',
  'malformed-json',
  'response-failed',
  'incomplete',
]);

/**
 * `GET /v1/responses/{id}`: the stored response, or with `stream=true` its events with a
 * `sequence_number` above `startingAfter` (all of them when it is `undefined`).
 */
export function retrieveReply(stored: StoredResponse, stream: boolean, startingAfter: number | undefined): ApiReply {
  const after = startingAfter ?? -1;
  const frames = stored.frames.filter((frame) => (frame.seq ?? 0) > after);
  const text = stored.frames
    .filter((frame) => (frame.seq ?? 0) <= after)
    .map((frame) => frame.delta ?? '')
    .join('');
  const endings = responseStreamScript(stored.meta, stored.body, '').endings;
  return {
    json: () => stored.response,
    stream: stream ? { frames, start: { seq: after + 1, text }, endings } : undefined,
    faultJson: () => undefined,
  };
}

/** Embeddings (inputs and dimensions already checked); no stream, no fault bodies. */
export function embeddingsReply(
  body: Record<string, unknown>,
  model: string,
  inputs: string[],
  dimensions: number,
): ApiReply {
  return { json: () => embeddingsBody(body, model, inputs, dimensions), faultJson: () => undefined };
}

/** The model list. */
export function modelsReply(): ApiReply {
  return { json: () => modelsBody(), faultJson: () => undefined };
}

/**
 * The background responses kept for `retrieve`, at most `limit` of them (the oldest are
 * dropped), so a long soak stays flat.
 */
export class ResponseStore {
  private readonly responses = new Map<string, StoredResponse>();

  constructor(private readonly limit: number) {}

  set(stored: StoredResponse): void {
    this.responses.set(stored.meta.id, stored);
    while (this.responses.size > this.limit) this.responses.delete(this.responses.keys().next().value as string);
  }

  get(id: string): StoredResponse | undefined {
    return this.responses.get(id);
  }
}
