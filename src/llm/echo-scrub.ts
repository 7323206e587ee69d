import { replaceLiterals, withoutKnownSecrets } from '../internal/known-secrets';
import { REDACTED, REDACTED_PROMPT } from '../observability/redact-secrets';

/** Prompt texts shorter than this are not looked for (a word like "hello" is no leak). */
const MIN_PROMPT_TEXT = 8;

/**
 * Runs `attempt` and, when it fails, takes the key and the prompt out of what the server
 * echoed into the error before anyone sees it: the SDK's error is rethrown as the same object
 * (its type, status and headers unchanged), with every known key (`known-secrets`) and every
 * text of `messages` replaced in its `message`, `param` and `stack`, and in the parsed body's
 * `message` and `param` (the headers the SDK keeps are not rewritten).
 * A server that answers "Incorrect API key provided: <key>. Your prompt was: <prompt>" must not
 * put either into an application's logs through the error `LLMExecutor` rethrows.
 */
export async function withoutEcho<T>(messages: readonly unknown[], attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    throw scrubbed(error, promptTexts(messages));
  }
}

/** `error` with the echo taken out of its message (the same object when it is one). */
export function scrubbed(error: unknown, texts: readonly string[]): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const target = error as Record<string, unknown> & { error?: Record<string, unknown> };
  try {
    // The message, and what an SDK error keeps of the body (`param`) and shows (`stack`).
    for (const field of ['message', 'param', 'stack']) {
      if (typeof target[field] === 'string') target[field] = scrub(target[field], texts);
    }
    const body = target.error;
    if (typeof body === 'object' && body !== null) {
      for (const field of ['message', 'param']) {
        if (typeof body[field] === 'string') body[field] = scrub(body[field], texts);
      }
    }
  } catch {
    // A frozen error or a read-only message stays as it is.
  }
  return error;
}

function scrub(text: string, texts: readonly string[]): string {
  return replaceLiterals(withoutKnownSecrets(text, REDACTED), texts, REDACTED_PROMPT);
}

/** The texts of chat messages (`content` as a string, or its text parts). */
export function promptTexts(messages: readonly unknown[]): string[] {
  const texts: string[] = [];
  for (const message of messages) {
    const content = (message as { content?: unknown } | null)?.content;
    if (typeof content === 'string') texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = (part as { text?: unknown } | null)?.text;
        if (typeof text === 'string') texts.push(text);
      }
    }
  }
  return texts.filter((text) => text.length >= MIN_PROMPT_TEXT);
}
