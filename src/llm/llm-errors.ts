import { BRANDS } from '../internal/brands';

// Streams break in the engine (strategies/stream-commit): the LLM layer's streams report the same error.
export { StreamInterruptedError, isStreamInterruptedError } from '../strategies/stream-commit/stream-interrupted-error';

const SCHEMA_BRAND = Symbol.for('llm-resilience.SchemaValidationError');

/**
 * The model's answer was not JSON matching the schema. Retried (the model may do better
 * next time); thrown as is when attempts run out. Safe to log: the message and `problems`
 * name positions and types only (`$[0].items[2]: expected number, got string`), never a
 * property name the model invented or a value it produced (they may repeat the prompt). The
 * raw answer is kept as `content` for developers, and shown by no rendering of the error
 * (`util.inspect`, `console.error`, `JSON.stringify`, `String`).
 *
 * @example
 * ```ts
 * try {
 *   const person = await executor.executeWithSchema(config, messages, personSchema);
 * } catch (error) {
 *   if (isSchemaValidationError(error)) logger.warn('bad JSON from the model', { problems: error.problems });
 *   else throw error;
 * }
 * ```
 */
export class SchemaValidationError extends Error {
  /** @internal Brand checked by `isSchemaValidationError`. */
  readonly [SCHEMA_BRAND] = true;
  readonly #content: string;
  constructor(
    /** What is wrong, e.g. `$.age: expected number, got string` (positions and types only). */
    readonly problems: string[],
    content: string,
  ) {
    super(`The model's answer does not match the JSON schema: ${problems.slice(0, 5).join('; ')}`);
    this.name = 'SchemaValidationError';
    this.#content = content;
  }

  /**
   * The model's raw answer, for developers. A getter over a private field: no own property,
   * so `util.inspect` (even with `showHidden`) and JSON loggers never print it.
   */
  get content(): string {
    return this.#content;
  }
}

/**
 * True for a `SchemaValidationError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * if (isSchemaValidationError(error)) console.warn(error.problems.join('; '));
 * ```
 */
export function isSchemaValidationError(error: unknown): error is SchemaValidationError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[SCHEMA_BRAND] === true;
}

/**
 * The Azure AD token provider failed. A credential failure: classified `auth`, never
 * retried (the same verdict the AzureOpenAI client's wrapped provider errors get). The
 * provider's own error is the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await factory.setupAzureService(azureConfig);
 * } catch (error) {
 *   if (error instanceof TokenProviderError) logger.error('Azure AD token failed', { cause: error.cause });
 *   throw error;
 * }
 * ```
 */
export class TokenProviderError extends Error {
  /** @internal Brand by which the classifier recognises this error, also from another copy of the library. */
  readonly [BRANDS.tokenProvider] = true;
  constructor(cause: unknown) {
    super('The Azure AD token provider failed', { cause });
    this.name = 'TokenProviderError';
  }
}
