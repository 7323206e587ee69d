import { readFirstHeader } from '../../internal/headers';
import type { ErrorFacts } from '../failure-kind';
import { ruleForStreamEventCode } from '../status-table';
import { hasCredentialErrorInChain } from './azure-rest-error-facts';
import { constructorName, hasOwnProperty, readProperty, readString } from '../../internal/error-shape';
import { findNetworkCode, hasTimeoutInChain } from './network-error-facts';

/**
 * Recognises errors of the `openai` SDK (also those of `AzureOpenAI`, which shares the classes)
 * by shape. Never `instanceof`: openai's CJS and ESM builds define distinct classes, and every
 * class keeps `name === 'Error'`, so the class name is read from `constructor.name`.
 */

/** Class names of openai-node's errors (`openai/core/error`), v5 and v6. */
const OPENAI_ERROR_CLASS_NAMES: ReadonlySet<string> = new Set([
  'OpenAIError',
  'APIError',
  'APIUserAbortError',
  'APIConnectionError',
  'APIConnectionTimeoutError',
  'BadRequestError',
  'AuthenticationError',
  'PermissionDeniedError',
  'NotFoundError',
  'ConflictError',
  'UnprocessableEntityError',
  'RateLimitError',
  'InternalServerError',
  'LengthFinishReasonError',
  'ContentFilterFinishReasonError',
  'OAuthError',
  'SubjectTokenProviderError',
]);

/** openai's workload-identity errors (`openai/auth`): the token exchange or the subject token failed. */
const CREDENTIAL_CLASS_NAMES: ReadonlySet<string> = new Set(['OAuthError', 'SubjectTokenProviderError']);

/** The SDK's own fixed texts (not provider text) for a failing `apiKey`/token-provider function. */
const TOKEN_PROVIDER_FAILURE =
  /^(Failed to get token from 'apiKey' function|Expected 'apiKey' function argument to return a string)/;

/** OpenAI sends `x-request-id`; through AzureOpenAI the Azure gateway's ids may be all there is. */
const OPENAI_REQUEST_ID_HEADERS = ['x-request-id', 'apim-request-id', 'x-ms-request-id'] as const;

export function openAIErrorFacts(error: unknown): ErrorFacts | undefined {
  const className = constructorName(error);
  if (!isOpenAIError(error, className)) return undefined;

  const facts: ErrorFacts = { source: 'openai' };
  const status = readProperty(error, 'status');
  if (typeof status === 'number' && Number.isInteger(status)) facts.status = status;

  const headers = readProperty(error, 'headers');
  if (headers !== undefined && headers !== null) facts.headers = headers;

  // `error` is the body's `error` object; APIError copies its `code` and `type` onto itself.
  const body = readProperty(error, 'error');
  const providerCode = readString(error, 'code') ?? readString(body, 'code');
  if (providerCode !== undefined) facts.providerCode = providerCode;
  const providerType = readString(error, 'type') ?? readString(body, 'type');
  if (providerType !== undefined) facts.providerType = providerType;
  const innerCode = readString(readProperty(body, 'innererror'), 'code');
  if (innerCode !== undefined) facts.innerCode = innerCode;

  // openai 5+ names it `requestID`; openai 4 used `request_id`.
  const requestId =
    readString(error, 'requestID') ??
    readString(error, 'request_id') ??
    readFirstHeader(headers, OPENAI_REQUEST_ID_HEADERS);
  if (requestId !== undefined && requestId !== '') facts.requestId = requestId;

  switch (className) {
    case 'APIUserAbortError':
      facts.isUserAbort = true;
      break;
    case 'APIConnectionTimeoutError':
      facts.isTimeout = true;
      break;
    case 'ContentFilterFinishReasonError':
      // `.parse()` helpers throw it when finish_reason is `content_filter`.
      facts.providerCode = 'content_filter';
      break;
  }

  // No status and a cause: a transport failure (APIConnectionError, also from a minified build).
  const cause = readProperty(error, 'cause');
  if (
    className === 'APIConnectionError' ||
    (facts.status === undefined && isAPIErrorShape(error) && cause !== undefined)
  ) {
    facts.isConnectionError = true;
    const networkCode = findNetworkCode(cause);
    if (networkCode !== undefined) facts.networkCode = networkCode;
    if (hasTimeoutInChain(cause)) facts.isTimeout = true;
  }

  // No status and no cause: the SDK threw the data of a 200 stream's SSE error
  // (`{ error: { code } }`) as an APIError, and its code is all there is. Only a code of a
  // stream's failure events counts as one (any other leaves the error unclassified).
  if (facts.status === undefined && !facts.isConnectionError) {
    const streamEventCode = [providerCode, providerType].find(
      (code) => code !== undefined && ruleForStreamEventCode(code) !== undefined,
    );
    if (streamEventCode !== undefined) facts.streamEventCode = streamEventCode;
  }

  // AzureOpenAI wraps a throwing `azureADTokenProvider` as `OpenAIError { cause }`: any
  // failure of the token provider is a credential failure (openai-node client.ts `_callApiKey`).
  if (cause !== undefined && hasCredentialErrorInChain(cause)) facts.isCredentialError = true;
  if (className === 'OpenAIError' && TOKEN_PROVIDER_FAILURE.test(readString(error, 'message') ?? '')) {
    facts.isCredentialError = true;
  }
  // Workload identity: the OAuth token exchange refused (400/401/403), or no subject token could
  // be read (a token file, IMDS). Either fails the same way again: a credential error, whatever the status.
  if (className !== undefined && CREDENTIAL_CLASS_NAMES.has(className)) facts.isCredentialError = true;
  return facts;
}

function isOpenAIError(error: unknown, className: string | undefined): boolean {
  if (isAPIErrorShape(error)) return true;
  // `name === 'Error'` tells openai's `AuthenticationError` from @azure/identity's, which sets `name`.
  return className !== undefined && OPENAI_ERROR_CLASS_NAMES.has(className) && readString(error, 'name') === 'Error';
}

/** APIError's constructor assigns `status`, `headers`, `requestID` and `error`, even when undefined. */
function isAPIErrorShape(error: unknown): boolean {
  return (
    hasOwnProperty(error, 'status') &&
    hasOwnProperty(error, 'headers') &&
    hasOwnProperty(error, 'error') &&
    (hasOwnProperty(error, 'requestID') || hasOwnProperty(error, 'request_id'))
  );
}
