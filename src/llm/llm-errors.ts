import { BRANDS } from '../internal/brands';

const SCHEMA_BRAND = Symbol.for('llm-resilience.SchemaValidationError');
const STREAM_BRAND = Symbol.for('llm-resilience.StreamInterruptedError');

/**
 * The model's answer was not JSON matching the schema. Retried (the model may do better
 * next time); thrown as is when attempts run out. The text is not in the message (it may
 * repeat the prompt): it is kept as `content` for developers.
 */
export class SchemaValidationError extends Error {
  readonly [SCHEMA_BRAND] = true;
  constructor(
    /** What is wrong, e.g. `$.age must be a number` (paths and types only). */
    readonly problems: string[],
    readonly content: string,
  ) {
    super(`The model's answer does not match the JSON schema: ${problems.slice(0, 5).join('; ')}`);
    this.name = 'SchemaValidationError';
    Object.defineProperty(this, 'content', { enumerable: false });
  }
}

/** A stream broke after chunks had reached the caller: not retried (the caller saw part of it). */
export class StreamInterruptedError extends Error {
  readonly [STREAM_BRAND] = true;
  constructor(
    readonly deliveredChunks: number,
    cause: unknown,
  ) {
    super(`The LLM stream broke after ${deliveredChunks} chunk${deliveredChunks === 1 ? '' : 's'}`, { cause });
    this.name = 'StreamInterruptedError';
  }
}

export function isSchemaValidationError(error: unknown): error is SchemaValidationError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[SCHEMA_BRAND] === true;
}

export function isStreamInterruptedError(error: unknown): error is StreamInterruptedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[STREAM_BRAND] === true;
}

/**
 * The Azure AD token provider failed. A credential failure: classified `auth`, never
 * retried (the same verdict the AzureOpenAI client's wrapped provider errors get).
 */
export class TokenProviderError extends Error {
  readonly [BRANDS.tokenProvider] = true;
  constructor(cause: unknown) {
    super('The Azure AD token provider failed', { cause });
    this.name = 'TokenProviderError';
  }
}
