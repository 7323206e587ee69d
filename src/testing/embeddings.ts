import { countTokens } from './completion';
import { mulberry32 } from './mulberry32';

/**
 * `POST /v1/embeddings` and `GET /v1/models`: bodies shaped as OpenAI returns them.
 *
 * An embedding is deterministic: a unit vector drawn from a PRNG seeded with a hash of
 * its input, so the same text always gives the same vector (and different texts almost
 * surely different ones). Its values are float32 numbers, so that `encoding_format:
 * 'base64'` (what openai-node asks for by default, then decodes into a `Float32Array`)
 * and `'float'` give exactly the same vector.
 */

/** The length of a vector when the request sets no `dimensions`. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;
/** The largest `dimensions` accepted (text-embedding-3-large's). */
export const MAX_EMBEDDING_DIMENSIONS = 3072;

/** The inputs of a request (`input` a string, strings, a token array or token arrays), or why not. */
export function embeddingInputs(body: Record<string, unknown>): string[] | string {
  const { input } = body;
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return "'input' must be a string or a non-empty array";
  if (input.every((item) => typeof item === 'number')) return [input.join(' ')];
  if (input.every((item) => typeof item === 'string')) return input as string[];
  if (input.every((item) => Array.isArray(item) && item.every((token) => typeof token === 'number'))) {
    return (input as number[][]).map((tokens) => tokens.join(' '));
  }
  return "'input' must be a string, an array of strings, or token arrays";
}

/** `dimensions` of a request, or why it is not valid. */
export function embeddingDimensions(body: Record<string, unknown>): number | string {
  const { dimensions } = body;
  if (dimensions === undefined || dimensions === null) return DEFAULT_EMBEDDING_DIMENSIONS;
  if (
    Number.isInteger(dimensions) &&
    (dimensions as number) >= 1 &&
    (dimensions as number) <= MAX_EMBEDDING_DIMENSIONS
  ) {
    return dimensions as number;
  }
  return `'dimensions' must be an integer in 1..${MAX_EMBEDDING_DIMENSIONS}`;
}

/** The deterministic unit vector of `text`, as float32 values. */
export function embeddingVector(text: string, dimensions: number): Float32Array {
  const random = mulberry32(fnv1a(text));
  const values = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(values.reduce((sum, value) => sum + value * value, 0)) || 1;
  return Float32Array.from(values, (value) => value / norm);
}

/** The embedding list of a request whose inputs and dimensions were checked. */
export function embeddingsBody(body: Record<string, unknown>, model: string, inputs: string[], dimensions: number) {
  const base64 = body.encoding_format === 'base64';
  const tokens = inputs.reduce((sum, text) => sum + Math.max(1, countTokens(text)), 0);
  return {
    object: 'list',
    data: inputs.map((text, index) => {
      const vector = embeddingVector(text, dimensions);
      return {
        object: 'embedding',
        index,
        embedding: base64
          ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
          : [...vector],
      };
    }),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** The models `GET /v1/models` lists. */
export const MODEL_IDS: readonly string[] = [
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-4.1',
  'gpt-4.1-mini',
  'o4-mini',
  'text-embedding-3-small',
  'text-embedding-3-large',
];

/** The model list. */
export function modelsBody() {
  return {
    object: 'list',
    data: MODEL_IDS.map((id) => ({ id, object: 'model', created: 1_715_367_049, owned_by: 'system' })),
  };
}

/** 32-bit FNV-1a of the UTF-16 code units: a cheap, stable seed. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
