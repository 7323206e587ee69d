/**
 * Issue #12, item 7: `redactSecrets()` / `redactValue()` also redact prompt and completion text
 * inside serialized JSON bodies (axios' `config.data`, `body`, `requestBody`, a formatted line),
 * the prompt fields `text`, `query` and `user_input`, and the credential fields `key`,
 * `credential`, `subscriptionKey`, `password`, `secret` and `token`, in any case.
 */
import winston from 'winston';
import {
  PROMPT_KEYS,
  REDACTED,
  REDACTED_BODY,
  REDACTED_PROMPT,
  SENSITIVE_KEYS,
  redactSecrets,
  redactValue,
} from '../../src/observability/redact-secrets';
import { createMemoryLogger, flushLogs } from '../support/memory-transport';

const PROMPT = 'Summarize the confidential merger plan for project NIGHTJAR';
const COMPLETION = 'NIGHTJAR merges with ACME on Friday';
const CREDENTIAL = 'cred-7Q2w-9x8y';
const FRAGMENTS = ['NIGHTJAR', 'Summarize the confidential', CREDENTIAL];

function expectClean(text: string): void {
  for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
}

const MESSAGE = Symbol.for('message');

describe('field names', () => {
  it.each([
    'key',
    'Key',
    'KEY',
    'credential',
    'Credential',
    'credentials',
    'subscriptionKey',
    'subscription_key',
    'Subscription-Key',
    'SUBSCRIPTIONKEY',
    'password',
    'PASSWORD',
    'secret',
    'Secret',
    'token',
    'TOKEN',
    'api_key',
    'apiKey',
    'API_KEY',
    'authorization',
    'Authorization',
    'azureCredential',
    'storageSubscriptionKey',
  ])('%s holds a credential', (name) => {
    expect(redactValue({ [name]: CREDENTIAL, model: 'gpt-4o' })).toEqual({ [name]: REDACTED, model: 'gpt-4o' });
  });

  it.each([
    ['text', PROMPT, REDACTED_PROMPT],
    ['Text', PROMPT, REDACTED_PROMPT],
    ['query', PROMPT, REDACTED_PROMPT],
    ['QUERY', PROMPT, REDACTED_PROMPT],
    ['user_input', PROMPT, REDACTED_PROMPT],
    ['userInput', PROMPT, REDACTED_PROMPT],
    ['input', [PROMPT, COMPLETION], '[REDACTED 2 items]'],
    ['prompt', PROMPT, REDACTED_PROMPT],
    ['content', COMPLETION, REDACTED_PROMPT],
    ['messages', [{ role: 'user', content: PROMPT }], '[REDACTED 1 message]'],
  ])('%s holds prompt or completion text', (name, value, expected) => {
    expect(redactValue({ [name]: value, max_tokens: 5 })).toEqual({ [name]: expected, max_tokens: 5 });
  });

  it('are listed in SENSITIVE_KEYS and PROMPT_KEYS', () => {
    expect(SENSITIVE_KEYS).toEqual(
      expect.arrayContaining(['key', 'credential', 'subscriptionKey', 'password', 'secret', 'token']),
    );
    expect(PROMPT_KEYS).toEqual(expect.arrayContaining(['text', 'query', 'user_input']));
  });
});

const chatBody = { model: 'gpt-4o', messages: [{ role: 'user', content: PROMPT }], max_tokens: 100 };

describe('serialized JSON bodies inside strings', () => {
  it.each<[string, unknown, unknown]>([
    [
      "axios' config.data",
      { config: { method: 'post', url: 'https://api.example.com/v1/chat', data: JSON.stringify(chatBody) } },
      {
        config: {
          method: 'post',
          url: 'https://api.example.com/v1/chat',
          data: '{"model":"gpt-4o","messages":"[REDACTED 1 message]","max_tokens":100}',
        },
      },
    ],
    [
      'a body',
      { body: JSON.stringify({ model: 'text-embedding-3-small', input: [PROMPT, PROMPT] }) },
      { body: '{"model":"text-embedding-3-small","input":"[REDACTED 2 items]"}' },
    ],
    [
      'a requestBody with a prompt and a key',
      { requestBody: JSON.stringify({ prompt: PROMPT, key: CREDENTIAL, n: 1 }) },
      { requestBody: `{"prompt":"${REDACTED_PROMPT}","key":"${REDACTED}","n":1}` },
    ],
    [
      'a search query with a subscription key',
      { data: JSON.stringify({ query: PROMPT, top: 5, subscriptionKey: CREDENTIAL }) },
      { data: `{"query":"${REDACTED_PROMPT}","top":5,"subscriptionKey":"${REDACTED}"}` },
    ],
    [
      'an agent input',
      { payload: JSON.stringify({ user_input: PROMPT, credential: CREDENTIAL, session: 's-1' }) },
      { payload: `{"user_input":"${REDACTED_PROMPT}","credential":"${REDACTED}","session":"s-1"}` },
    ],
    [
      'a completions response',
      { response: JSON.stringify({ choices: [{ index: 0, text: COMPLETION }] }) },
      { response: `{"choices":[{"index":0,"text":"${REDACTED_PROMPT}"}]}` },
    ],
    [
      'a responses API answer',
      {
        response: JSON.stringify({
          output: [{ type: 'message', content: [{ type: 'output_text', text: COMPLETION }] }],
        }),
      },
      { response: `{"output":[{"type":"message","content":"[REDACTED 1 item]"}]}` },
    ],
    [
      'a top-level array',
      { data: JSON.stringify([{ text: PROMPT }, { password: CREDENTIAL }]) },
      { data: `[{"text":"${REDACTED_PROMPT}"},{"password":"${REDACTED}"}]` },
    ],
    [
      'a body encoded twice',
      { data: JSON.stringify({ wrapped: JSON.stringify(chatBody) }) },
      { data: JSON.stringify({ wrapped: '{"model":"gpt-4o","messages":"[REDACTED 1 message]","max_tokens":100}' }) },
    ],
    [
      'a body after a prefix',
      { note: `request body: ${JSON.stringify({ prompt: PROMPT })}` },
      { note: `request body: {"prompt":"${REDACTED_PROMPT}"}` },
    ],
    [
      'a pretty-printed body (stays pretty-printed)',
      { data: JSON.stringify({ query: PROMPT, top: 5 }, null, 4) },
      { data: JSON.stringify({ query: REDACTED_PROMPT, top: 5 }, null, 2) },
    ],
    ['a body cut short', { data: JSON.stringify(chatBody).slice(0, 70) }, { data: REDACTED_BODY }],
    [
      'a body cut short after a prefix',
      { note: `body: ${JSON.stringify({ text: PROMPT }).slice(0, 30)}` },
      { note: REDACTED_BODY },
    ],
    ['a JS object literal', { note: `{ model: 'gpt-4o', 'content': '${PROMPT}' }` }, { note: REDACTED_BODY }],
  ])('%s', (_case, input, expected) => {
    const output = redactValue(input);
    expect(output).toEqual(expected);
    expectClean(JSON.stringify(output));
    expect(redactValue(output)).toEqual(output); // a second pass changes nothing
  });

  it.each([
    '{ "model": "gpt-4o",  "n": 1 }',
    '[1, 2,  3]',
    '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}',
    '[worker 3] invalid input: expected a list [see docs]',
    "Invalid value for 'content': expected a string, got an array.",
    'Retrying chat in 1.20s (attempt 1/3 failed: rate_limit 429, request req_abc) {"attempt":1}',
    '{not json at all}',
  ])('leaves a string with nothing to redact by key as it is: %s', (text) => {
    expect(redactValue({ note: text })).toEqual({ note: text });
  });

  it('still applies the text patterns to the rest of the body', () => {
    const data = JSON.stringify({ model: 'gpt-4o', headers: 'Authorization: Bearer abc.def', messages: [] });
    expect(redactValue({ data })).toEqual({
      data: `{"model":"gpt-4o","headers":"Authorization: Bearer ${REDACTED}","messages":"[REDACTED 0 messages]"}`,
    });
  });

  it('replaces a body too deep to parse when it names a prompt field', () => {
    const data = JSON.stringify({ a: { b: { prompt: PROMPT } } });
    expect(redactValue({ x: { data } }, { maxDepth: 2 })).toEqual({ x: { data: REDACTED_BODY } });
  });
});

describe('through the winston format', () => {
  it('an axios-style error with a JSON config.data and response data', async () => {
    const { logger, transport } = createMemoryLogger(winston.format.combine(redactSecrets(), winston.format.json()));
    const error = Object.assign(new Error('Request failed with status code 500'), {
      config: {
        headers: { 'Content-Type': 'application/json', 'Ocp-Apim-Subscription-Key': CREDENTIAL },
        data: JSON.stringify({ ...chatBody, user_input: PROMPT }),
      },
      response: { status: 500, data: { error: { message: 'internal error' }, echoed: { text: COMPLETION } } },
    });
    logger.error('call failed', { error });
    await flushLogs();
    const line = transport.lines()[0];
    expectClean(line);
    expectClean(transport.dump());
    const logged = JSON.parse(line).error;
    expect(JSON.parse(logged.config.data)).toEqual({
      model: 'gpt-4o',
      messages: '[REDACTED 1 message]',
      max_tokens: 100,
      user_input: REDACTED_PROMPT,
    });
    expect(logged.response).toEqual({
      status: 500,
      data: { error: { message: 'internal error' }, echoed: { text: REDACTED_PROMPT } },
    });
  });

  it('a JSON line printed by an earlier format', async () => {
    const { logger, transport } = createMemoryLogger(winston.format.combine(winston.format.json(), redactSecrets()));
    logger.info('calling', { body: chatBody, token: CREDENTIAL });
    await flushLogs();
    const [line] = transport.lines();
    expectClean(line);
    expect(JSON.parse(line)).toMatchObject({ body: { messages: '[REDACTED 1 message]' }, token: REDACTED });
    expect(transport.entries[0][MESSAGE]).toBe(line);
  });
});
