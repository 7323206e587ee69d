/**
 * Error responses shaped like the real services', so the SDKs build the same error
 * classes (status decides the class; `error.code` / `error.type` what a retry policy
 * reads). Messages follow OpenAI's and Azure's wording closely enough to recognise.
 */

export interface ErrorReply {
  status: number;
  body: { error: Record<string, unknown> };
  headers?: Record<string, string>;
}

export function rateLimitError(retryAfterMs: number, limitPerMinute?: number): ErrorReply {
  const limit =
    limitPerMinute === undefined
      ? 'Rate limit reached for requests.'
      : `Rate limit reached for requests per min (RPM): Limit ${limitPerMinute}, Used ${limitPerMinute}, Requested 1.`;
  return {
    status: 429,
    body: {
      error: {
        message: `${limit} Please try again in ${retryAfterMs}ms.`,
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    },
    headers: {
      'retry-after-ms': String(retryAfterMs),
      // Seconds, rounded up: a client that only reads `retry-after` must not come back early.
      'retry-after': String(Math.ceil(retryAfterMs / 1000)),
    },
  };
}

/** No Retry-After: waiting does not help a quota error, and clients should not retry it. */
export function quotaError(): ErrorReply {
  return {
    status: 429,
    body: {
      error: {
        message:
          'You exceeded your current quota, please check your plan and billing details. ' +
          'For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    },
  };
}

const SERVER_ERROR_MESSAGES: Record<number, string> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The server is overloaded or not ready yet.',
  504: 'Gateway timeout.',
};

export function serverError(status: 500 | 502 | 503 | 504): ErrorReply {
  return {
    status,
    body: { error: { message: SERVER_ERROR_MESSAGES[status], type: 'server_error', param: null, code: null } },
  };
}

/**
 * Masks an API key like OpenAI does in its 401 message: a few characters of each end
 * at most, and none of a short key. The full key must never come back in a response:
 * tests (and the library's log scrubbing) check exactly that, and a fault server
 * started against real keys would otherwise echo them into logs.
 */
export function maskApiKey(key: string): string {
  if (key.length < 12) return '*'.repeat(Math.max(4, key.length));
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(40, key.length - 7))}${key.slice(-4)}`;
}

/** The key a client sent: `Authorization: Bearer <key>` (OpenAI) or `api-key` (Azure). */
export function apiKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1];
}

export function authError(apiKey: string | undefined): ErrorReply {
  const message =
    apiKey === undefined
      ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth."
      : `Incorrect API key provided: ${maskApiKey(apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
  return {
    status: 401,
    body: { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
  };
}

/** Azure OpenAI's prompt filter: a 400 whose inner error says which category fired. */
export function contentFilterError(): ErrorReply {
  return {
    status: 400,
    body: {
      error: {
        message:
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. " +
          'Please modify your prompt and retry.',
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_result: {
            hate: { filtered: false, severity: 'safe' },
            jailbreak: { filtered: false, detected: false },
            self_harm: { filtered: false, severity: 'safe' },
            sexual: { filtered: false, severity: 'safe' },
            violence: { filtered: true, severity: 'medium' },
          },
        },
      },
    },
  };
}

export function contextLengthError(): ErrorReply {
  return {
    status: 400,
    body: {
      error: {
        message:
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. " +
          'Please reduce the length of the messages.',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  };
}

export function notFoundError(method: string, path: string): ErrorReply {
  return {
    status: 404,
    body: {
      error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null },
    },
  };
}

/** A request the API refuses as it is (a missing `input`, a bad `dimensions`, ...). */
export function invalidRequestError(message: string, param: string | null): ErrorReply {
  return { status: 400, body: { error: { message, type: 'invalid_request_error', param, code: null } } };
}

/** `GET /v1/responses/{id}` of an id the server does not keep (only background responses are kept). */
export function responseNotFoundError(id: string): ErrorReply {
  return {
    status: 404,
    body: {
      error: {
        message: `Response with id '${id.slice(0, 200)}' not found.`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    },
  };
}

/** `response-failed` on a request with no response status to fail: a 500 carrying the code. */
export function failedCodeError(code: string): ErrorReply {
  return {
    status: 500,
    body: { error: { message: `The response failed (${code}).`, type: 'server_error', param: null, code } },
  };
}

export function invalidBodyError(): ErrorReply {
  return {
    status: 400,
    body: {
      error: {
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)",
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    },
  };
}

/** `faultFor` returned something that is not a fault spec, or threw: a mistake in the test. */
export function invalidFaultError(detail: string): ErrorReply {
  return {
    status: 400,
    body: {
      error: {
        message: `The fault server's faultFor option failed: ${detail}`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_fault_spec',
      },
    },
  };
}

/** A request target that is no URL path (`*`, a bare word): nothing to route. */
export function invalidUrlError(method: string, target: string): ErrorReply {
  return {
    status: 400,
    body: {
      error: {
        message: `Invalid URL (${method} ${target.slice(0, 200)})`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_url',
      },
    },
  };
}

/** A body above `maxBodyBytes`: answered before (or instead of) reading the rest of it. */
export function bodyTooLargeError(maxBodyBytes: number): ErrorReply {
  return {
    status: 413,
    body: {
      error: {
        message: `The request body is larger than the fault server's limit of ${maxBodyBytes} bytes (maxBodyBytes).`,
        type: 'invalid_request_error',
        param: null,
        code: 'request_too_large',
      },
    },
  };
}

/** `CONNECT` (a proxy tunnel): not something a chat-completions server does. */
export function methodNotAllowedError(method: string, target: string): ErrorReply {
  return {
    status: 405,
    body: {
      error: {
        message: `Method not allowed (${method} ${target.slice(0, 200)})`,
        type: 'invalid_request_error',
        param: null,
        code: 'method_not_allowed',
      },
    },
  };
}

/**
 * HTTP that Node's parser refused (bad method, header name or value, framing), headers
 * above Node's size limit (431) or that took too long (408); `code` is the parser's.
 */
export function malformedRequestError(code: string | undefined): ErrorReply {
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const what =
    status === 431 ? 'Request headers too large' : status === 408 ? 'Request timeout' : 'Malformed HTTP request';
  return {
    status,
    body: {
      error: {
        message: `${what}${code ? ` (${code})` : ''}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'malformed_request',
      },
    },
  };
}

/** The fault server itself failed on this request (a bug, or a hook that broke it): a 500, not a crash. */
export function internalError(detail: string): ErrorReply {
  return {
    status: 500,
    body: {
      error: {
        message: `The fault server failed while handling this request: ${detail}`,
        type: 'server_error',
        param: null,
        code: 'fault_server_error',
      },
    },
  };
}

/**
 * What a thrown value says, without throwing itself (a null-prototype object or a
 * throwing `toString` must not turn an error report into a crash).
 */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
    return String(thrown);
  } catch {
    return 'a value that cannot be printed';
  }
}
