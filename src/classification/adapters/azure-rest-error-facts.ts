import { readFirstHeader } from '../../internal/headers';
import type { ErrorFacts } from '../failure-kind';
import { causeChain, readProperty, readString } from '../../internal/error-shape';
import { NODE_NETWORK_CODES, UNDICI_NETWORK_CODES } from './network-error-facts';

/**
 * Recognises `@azure/core-rest-pipeline` `RestError`s and `@azure/identity` credential errors
 * by shape, the way core-rest-pipeline's own `isRestError` does (`name === 'RestError'`):
 * Azure SDK packages can each bundle their own copy of the class.
 */

/** Names `@azure/identity` gives its errors; a credential failure will not heal by retrying the call. */
export const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

/** Azure request-id headers, most specific first: API Management's, the service's, the generic one. */
export const AZURE_REQUEST_ID_HEADERS = ['apim-request-id', 'x-ms-request-id', 'x-request-id'] as const;

/** core-rest-pipeline's code for a send failure whose socket error had no code of its own. */
const REQUEST_SEND_ERROR = 'REQUEST_SEND_ERROR';

/** Error bodies are small; a larger one is not an error document worth parsing. */
const MAX_PARSED_BODY_CHARS = 64 * 1024;

export function restErrorFacts(error: unknown): ErrorFacts | undefined {
  if (readString(error, 'name') !== 'RestError') return undefined;
  const facts: ErrorFacts = { source: 'azure' };

  const statusCode = readProperty(error, 'statusCode');
  if (isHttpStatus(statusCode)) facts.status = statusCode;

  const response = readProperty(error, 'response');
  const headers = readProperty(response, 'headers');
  if (headers !== undefined) facts.headers = headers;

  const code = readString(error, 'code');
  if (code !== undefined && isTransportCode(code)) {
    facts.networkCode = code;
    facts.isConnectionError = facts.status === undefined;
  } else if (code !== undefined) {
    facts.providerCode = code;
  }

  const body = readProperty(responseBody(response), 'error');
  facts.providerCode ??= readString(body, 'code');
  const innerCode = readString(readProperty(body, 'innererror'), 'code');
  if (innerCode !== undefined) facts.innerCode = innerCode;

  const requestId = readFirstHeader(headers, AZURE_REQUEST_ID_HEADERS);
  if (requestId !== undefined) facts.requestId = requestId;
  return facts;
}

/**
 * core-rest-pipeline (its Node HTTP client, from `@typespec/ts-http-runtime`) aborts a request
 * in flight with this `AbortError` both when the request's own `timeout` passes and when the
 * caller's `abortSignal` fires. A caller's abort that the engine can see (a signal among the
 * call's arguments, or `options.signal` / `options.abortSignal`) ends the call before it is
 * classified, so what reaches classification is the pipeline's timeout: retryable. An abort
 * the engine cannot see costs at most one more attempt: its signal is still aborted, and a
 * request started with an aborted signal fails with another message ("Request has already
 * been canceled."), which stays a caller's abort.
 */
export const PIPELINE_ABORT_IN_FLIGHT =
  'The operation was aborted. Rejecting from abort signal callback while making request.';

/** core-rest-pipeline's in-flight abort: the request's own `timeout` (see PIPELINE_ABORT_IN_FLIGHT). */
export function pipelineTimeoutFacts(error: unknown): ErrorFacts | undefined {
  if (readString(error, 'name') !== 'AbortError' || readString(error, 'message') !== PIPELINE_ABORT_IN_FLIGHT)
    return undefined;
  return { source: 'azure', isTimeout: true };
}

/** A credential error from `@azure/identity`, itself or anywhere along its cause chain. */
export function credentialErrorFacts(error: unknown): ErrorFacts | undefined {
  return hasCredentialErrorInChain(error) ? { source: 'credential', isCredentialError: true } : undefined;
}

/**
 * AzureOpenAI wraps a failing `azureADTokenProvider` in an `OpenAIError` whose `cause` is the
 * original (openai-node `_callApiKey`), so the whole chain is searched.
 */
export function hasCredentialErrorInChain(error: unknown): boolean {
  return causeChain(error).some((link) => {
    const name = readString(link, 'name');
    return name !== undefined && CREDENTIAL_ERROR_NAMES.has(name);
  });
}

function isTransportCode(code: string): boolean {
  return code === REQUEST_SEND_ERROR || NODE_NETWORK_CODES.has(code) || UNDICI_NETWORK_CODES.has(code);
}

function isHttpStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;
}

/** core-client leaves the parsed body on `response.parsedBody`; a bare pipeline only has `bodyAsText`. */
function responseBody(response: unknown): unknown {
  const parsed = readProperty(response, 'parsedBody');
  if (parsed !== null && typeof parsed === 'object') return parsed;
  const text = readProperty(response, 'bodyAsText');
  if (typeof text !== 'string' || text.length > MAX_PARSED_BODY_CHARS) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
