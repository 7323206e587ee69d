/**
 * Issue #12: a request id reaches logs, events and errors only when it is a plain id token
 * (letters, digits, `-_.:`, at most 128 characters); anything else is dropped whole. A server
 * echoing the prompt in `x-request-id` put the prompt into warn lines.
 */
import { APIError } from 'openai';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { classifyError, classifyFacts } from '../../src/classification';

const NOW = Date.parse('2025-01-01T00:00:00Z');

const VALID: [string, string][] = [
  ["OpenAI's req_ id", 'req_9d5b7c2e8f0a4b6c9d1e3f5a7b9c1d3e'],
  ['a UUID (Azure apim-request-id)', '6f1c3d2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f'],
  ['every allowed punctuation', 'a-b_c.d:e'],
  ['a single character', 'x'],
  ['exactly 128 characters', 'r'.repeat(128)],
];

const INVALID: [string, string][] = [
  ['empty', ''],
  ['a space', 'req 123'],
  ['the prompt echoed back', 'Summarise the confidential merger memo'],
  ['a newline (log injection)', 'req_1\nWARN forged line'],
  ['a trailing newline', 'req_1\n'],
  ['a carriage return', 'req_1\r'],
  ['a tab', 'req_1\t2'],
  ['a slash', 'req/1'],
  ['a double quote', 'req"1'],
  ['a single quote', "req'1"],
  ['a backslash', 'req\\1'],
  ['angle brackets', '<script>'],
  ['an equals sign and a semicolon', 'a=b;c'],
  ['unicode letters', 'réq_1'],
  ['an emoji', 'req_🔥'],
  ['a zero-width space', 'req\u200b1'],
  ['a NUL character', 'req\u00001'],
  ['129 characters', 'r'.repeat(129)],
  ['a very long id', 'r'.repeat(10_000)],
];

describe('classifyFacts keeps only a plain id token', () => {
  it.each(VALID)('%s is kept', (_label, requestId) => {
    expect(classifyFacts({ source: 'openai', status: 500, requestId }, NOW).requestId).toBe(requestId);
  });

  it.each(INVALID)('%s is dropped', (_label, requestId) => {
    const classification = classifyFacts({ source: 'openai', status: 500, requestId }, NOW);
    expect(classification).not.toHaveProperty('requestId');
    // The rest of the verdict is unchanged.
    expect(classification).toEqual({ kind: 'server', retryable: true, reason: 'status 500', status: 500 });
  });
});

describe('through the error shapes that carry one', () => {
  /** openai-node builds its errors with `APIError.generate`, reading `x-request-id` into `requestID`. */
  const openAIError = (requestId: string) =>
    APIError.generate(503, { error: { message: 'overloaded' } }, undefined, new Headers({ 'x-request-id': requestId }));

  /** core-rest-pipeline's RestError; the id comes from `apim-request-id` / `x-ms-request-id` / `x-request-id`. */
  const restError = (requestId: string) => {
    const request = createPipelineRequest({ url: 'https://example.openai.azure.com/x' });
    const response = { request, status: 503, headers: createHttpHeaders({ 'apim-request-id': requestId }) };
    return new RestError('Service Unavailable', { statusCode: 503, request, response });
  };

  /** A plain object header bag (openai 4, Node's IncomingHttpHeaders) cannot carry a newline through Headers. */
  const plainHeaderError = (requestId: string) =>
    Object.assign(new Error('x'), {
      status: 503,
      headers: { 'x-request-id': requestId },
      error: undefined,
      requestID: undefined,
    });

  it.each<[string, (id: string) => unknown]>([
    ['openai APIError', openAIError],
    ['RestError', restError],
    ['an openai-shaped error with a plain header object', plainHeaderError],
  ])('%s: a valid id is kept, an invalid one dropped', (_label, make) => {
    expect(classifyError(make('req_abc-123'), NOW).requestId).toBe('req_abc-123');
    for (const invalid of ['Summarise the merger memo', 'r'.repeat(129), 'req/1', 'réq']) {
      const classification = classifyError(make(invalid), NOW);
      expect(classification).not.toHaveProperty('requestId');
      expect(classification).toMatchObject({ kind: 'server', retryable: true, status: 503 });
    }
  });

  it('a newline in a plain header object is dropped too', () => {
    expect(classifyError(plainHeaderError('req_1\nforged'), NOW)).not.toHaveProperty('requestId');
  });
});
