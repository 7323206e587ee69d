/**
 * Server-sent events as OpenAI streams them: one `data: <json>` line per event, a blank
 * line after each, and a literal `data: [DONE]` at the end.
 */

export function sseEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};
