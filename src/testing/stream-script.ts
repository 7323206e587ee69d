import type { Fault, IncompleteReason } from './fault-spec';

/**
 * A streamed reply as a list of SSE frames, whatever the API (chat chunks or Responses
 * events), and how each stream fault reshapes it: cut it, end it early with a failure,
 * an error or an incomplete ending, or pause it. The server writes the steps; the APIs
 * only say what their frames and endings look like.
 */

/** One server-sent event. */
export interface Frame {
  /** The `event:` line's value (Responses events); chat chunks have none. */
  event?: string;
  /** The `data:` line: JSON, or `[DONE]`. */
  data: string;
  /** The event's `sequence_number` (Responses events). */
  seq?: number;
  /** The text a content frame adds (a chat content chunk, a `response.output_text.delta`). */
  delta?: string;
  /** The frame ends the content (finish chunk, `response.output_text.done`, ...): faults stop before it. */
  tail?: boolean;
}

/** Where a stream stands: the next sequence number and the text sent so far. */
export interface StreamPosition {
  seq: number;
  text: string;
}

/** The frames that end a stream early, in place of the rest, once it is at a position. */
export interface StreamEndings {
  /** `response-failed:<n>[:<code>]`. */
  failed(at: StreamPosition, code: string): Frame[];
  /** `error-event:<n>`. */
  error(at: StreamPosition): Frame[];
  /** `incomplete:<reason>`. */
  incomplete(at: StreamPosition, reason: IncompleteReason): Frame[];
  /** `quota-stream`: the first and only event. */
  quota(at: StreamPosition): Frame[];
}

/** A whole stream, where it starts, and its early endings. */
export interface StreamScript {
  frames: Frame[];
  /** The position before the first frame (a replay may start mid-response). */
  start: StreamPosition;
  endings: StreamEndings;
}

/** What the server writes: SSE text, or a pause of that many ms. */
export type Step = string | { pauseMs: number };

/** The SSE text of a frame. */
export function frameText(frame: Frame): string {
  return `${frame.event === undefined ? '' : `event: ${frame.event}\n`}data: ${frame.data}\n\n`;
}

/** A JSON frame; `event` also becomes the `event:` line. */
export function jsonFrame(data: unknown, extra: Omit<Frame, 'data'> = {}): Frame {
  return { ...extra, data: JSON.stringify(data) };
}

/**
 * The index where a fault "after `n` content frames" strikes: just after the n-th content
 * frame, and never past the first tail frame (with fewer content frames, right before it).
 */
export function indexAfterDeltas(frames: readonly Frame[], n: number): number {
  let seen = 0;
  for (let i = 0; i < frames.length; i++) {
    if (frames[i].tail) return i;
    if (frames[i].delta === undefined) continue;
    if (seen === n) return i;
    seen += 1;
  }
  return frames.length;
}

/** The position after `frames[0..index)`. */
export function positionAt(script: StreamScript, index: number): StreamPosition {
  let { seq, text } = script.start;
  for (const frame of script.frames.slice(0, index)) {
    if (frame.seq !== undefined) seq = frame.seq + 1;
    if (frame.delta !== undefined) text += frame.delta;
  }
  return { seq, text };
}

/** How many content frames the script has. */
export function deltaCount(script: StreamScript): number {
  return script.frames.filter((frame) => frame.delta !== undefined).length;
}

/** The frames of a stream that ends early at `index` with `ending`. */
export function endedAt(script: StreamScript, index: number, ending: (at: StreamPosition) => Frame[]): Frame[] {
  return [...script.frames.slice(0, index), ...ending(positionAt(script, index))];
}

/**
 * The frames a stream fault delivers, or `undefined` for faults that change no frames
 * (`ok`, `slow`, `stall-first`, `stall`, `malformed-json` and the non-stream faults).
 * `stream-cut` gives the frames before the cut.
 */
export function faultedFrames(script: StreamScript, fault: Fault): Frame[] | undefined {
  switch (fault.kind) {
    case 'stream-cut':
      return script.frames.slice(0, indexAfterDeltas(script.frames, fault.chunks));
    case 'response-failed':
      return endedAt(script, indexAfterDeltas(script.frames, fault.chunks), (at) =>
        script.endings.failed(at, fault.code),
      );
    case 'error-event':
      return endedAt(script, indexAfterDeltas(script.frames, fault.chunks), (at) => script.endings.error(at));
    case 'incomplete':
      return endedAt(script, indexAfterDeltas(script.frames, Math.ceil(deltaCount(script) / 2)), (at) =>
        script.endings.incomplete(at, fault.reason),
      );
    case 'quota-stream':
      return script.endings.quota(script.start);
    default:
      return undefined;
  }
}

/**
 * The steps of a streamed reply under `fault` and whether it ends with a cut. Faults
 * that are not about streams (`ok`, `slow` once its wait is over, ...) give the whole stream.
 */
export function streamSteps(script: StreamScript, fault: Fault): { steps: Step[]; cut: boolean } {
  const texts = (frames: readonly Frame[]) => frames.map(frameText);
  switch (fault.kind) {
    case 'stall-first':
      return { steps: [{ pauseMs: fault.delayMs }, ...texts(script.frames)], cut: false };
    case 'stall': {
      const index = indexAfterDeltas(script.frames, fault.chunks);
      const before = texts(script.frames.slice(0, index));
      return { steps: [...before, { pauseMs: fault.delayMs }, ...texts(script.frames.slice(index))], cut: false };
    }
    case 'malformed-json': {
      const [first, second] = script.frames;
      const broken = second ?? first;
      const half = `${broken.event === undefined ? '' : `event: ${broken.event}\n`}data: ${broken.data.slice(0, Math.floor(broken.data.length / 2))}\n\n`;
      return { steps: [...(second ? [frameText(first)] : []), half, ...texts(script.frames.slice(2))], cut: false };
    }
    default: {
      const frames = faultedFrames(script, fault);
      return { steps: texts(frames ?? script.frames), cut: fault.kind === 'stream-cut' };
    }
  }
}
