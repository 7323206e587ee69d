import { inspect } from 'node:util';
import winston from 'winston';
import {
  PROMPT_KEYS,
  REDACTED,
  SENSITIVE_KEYS,
  redactSecrets,
  redactText,
  redactValue,
} from '../../src/observability/redact-secrets';
import { createMemoryLogger, flushLogs } from '../support/memory-transport';

const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');
const SPLAT = Symbol.for('splat');

// Fixtures shaped like the real credentials (made up, never valid).
const OPENAI_PROJECT_KEY = 'sk-proj-abc123DEF456ghi789JKL012mno345PQR678stu901VWX_yz-0AbC';
const OPENAI_LEGACY_KEY = 'sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv12Wx34';
const OPENAI_SERVICE_KEY = 'sk-svcacct-Zz9_Yy8-Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0';
const AZURE_HEX_KEY = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const AZURE_84_KEY = 'A1b2C3d4'.repeat(6) + 'E5f6' + 'JQQJ99' + 'B' + 'A' + 'ACOGxYz1234567ab' + 'Q' + 'r5T6y7U';
const JWT_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const OPAQUE_TOKEN = 'opaque-bearer-5f1e2d9c';
const HEADER_VALUE = 'header-value-7Q2w';
const PROMPT_TEXT = 'Summarize the confidential merger plan for project NIGHTJAR';
const COMPLETION_TEXT = 'NIGHTJAR merges with ACME on Friday';

/** Every value that must never reach a transport. */
const SECRET_FRAGMENTS = [
  'abc123DEF456',
  'Ab12Cd34Ef56',
  'Zz9_Yy8',
  AZURE_HEX_KEY,
  'A1b2C3d4A1b2',
  'eyJhbGciOiJSUzI1NiJ9',
  'c2lnbmF0dXJl',
  OPAQUE_TOKEN,
  HEADER_VALUE,
  'NIGHTJAR',
  'hunter2',
];

function expectNoSecrets(text: string): void {
  for (const fragment of SECRET_FRAGMENTS) expect(text).not.toContain(fragment);
}

/** Deep, order-stable description of a value, non-enumerable error fields included. */
const snapshot = (value: unknown): string => inspect(value, { depth: Infinity, showHidden: true, sorted: true });

describe('fixtures', () => {
  it('have the shapes of real keys', () => {
    expect(AZURE_HEX_KEY).toMatch(/^[0-9a-f]{32}$/);
    expect(AZURE_84_KEY).toHaveLength(84);
  });
});

describe('redactText', () => {
  it.each([
    ['project key', OPENAI_PROJECT_KEY],
    ['legacy key', OPENAI_LEGACY_KEY],
    ['service account key', OPENAI_SERVICE_KEY],
    ['32-hex Azure key', AZURE_HEX_KEY],
    ['84-character Azure key', AZURE_84_KEY],
    ['JWT', JWT_TOKEN],
  ])('replaces a bare %s inside a sentence', (_kind, key) => {
    expect(redactText(`client created with ${key}, retrying`)).toBe(`client created with ${REDACTED}, retrying`);
    expect(redactText(key)).toBe(REDACTED);
  });

  it('keeps the scheme of bearer tokens', () => {
    expect(redactText(`sent Bearer ${OPAQUE_TOKEN} upstream`)).toBe(`sent Bearer ${REDACTED} upstream`);
    expect(redactText(`bearer ${JWT_TOKEN}`)).toBe(`bearer ${REDACTED}`);
  });

  it.each([
    [`Authorization: Bearer ${OPAQUE_TOKEN}`, `Authorization: Bearer ${REDACTED}`],
    [`authorization=Basic ${HEADER_VALUE}`, `authorization=Basic ${REDACTED}`],
    [`api-key: ${HEADER_VALUE}`, `api-key: ${REDACTED}`],
    [`x-api-key=${HEADER_VALUE}&next=1`, `x-api-key=${REDACTED}&next=1`],
    [`Ocp-Apim-Subscription-Key: ${HEADER_VALUE}`, `Ocp-Apim-Subscription-Key: ${REDACTED}`],
    [`AZURE_OPENAI_API_KEY=${HEADER_VALUE}`, `AZURE_OPENAI_API_KEY=${REDACTED}`],
    [`{"api-key":"${HEADER_VALUE}","model":"gpt-4o"}`, `{"api-key":"${REDACTED}","model":"gpt-4o"}`],
    [`{ 'Authorization': 'Bearer ${OPAQUE_TOKEN}' }`, `{ 'Authorization': '${REDACTED}' }`],
    [`api_key="${HEADER_VALUE}"`, `api_key="${REDACTED}"`],
    [`body: "{\\"api-key\\":\\"${HEADER_VALUE}\\"}"`, `body: "{\\"api-key\\":\\"${REDACTED}\\"}"`],
    [`password: hunter2`, `password: ${REDACTED}`],
    [`Cookie: session=${HEADER_VALUE}; theme=dark`, `Cookie: ${REDACTED}`],
  ])('redacts the value of the header-like pair %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    [
      `https://res.openai.azure.com/openai/deployments/gpt/chat/completions?api-version=2024-10-21&api-key=${HEADER_VALUE}`,
      `https://res.openai.azure.com/openai/deployments/gpt/chat/completions?api-version=2024-10-21&api-key=${REDACTED}`,
    ],
    [
      `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sig=${HEADER_VALUE}%3D`,
      `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01&sig=${REDACTED}`,
    ],
    [
      `https://fn.azurewebsites.net/api/run?code=${HEADER_VALUE}`,
      `https://fn.azurewebsites.net/api/run?code=${REDACTED}`,
    ],
    [`https://maps.example.com/geo?key=${HEADER_VALUE}#top`, `https://maps.example.com/geo?key=${REDACTED}#top`],
    [`redis://default:hunter2@cache.local:6379`, `redis://default:${REDACTED}@cache.local:6379`],
  ])('redacts credentials in the URL %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    'Retrying ChatAgent.complete in 1.20s (attempt 1/3 failed: rate_limit 429, request req_abc)',
    'desk-top and task-sketch and risk-assessment stay as they are',
    'request req_abc123 failed with 503',
    'OpenAI request id req_9d5b7c2e8f0a4b6c9d1e3f5a7b9c1d3e',
    'traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'etag deadbeef, short hash 1a2b3c4d5e6f, commit 3f786850e387550fdab836ed7e6dc881de23001b',
    'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'correlation 6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    'timestamp 12345678901234567890123456789012 and 0xabcdef',
    'Incorrect API key provided: sk-proj-********************abcd.',
    'usage total_tokens: 42, prompt_tokens: 30, max_tokens=512',
    'POST https://api.openai.com/v1/chat/completions?api-version=2024-10-21 -> 429',
    'Access denied due to invalid subscription key or wrong API endpoint.',
    'The token bucket is empty; secret sauce unknown.',
    '',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('does not mistake long words or identifiers for 84-character keys', () => {
    const identifier = 'ThisIsAVeryLongGeneratedIdentifierNameUsedInSomeCodebaseForTestingPurposesOnly123456';
    expect(identifier).toHaveLength(84);
    expect(redactText(identifier)).toBe(identifier);
  });

  it('is idempotent', () => {
    const text = `Authorization: Bearer ${OPAQUE_TOKEN}; api-key=${HEADER_VALUE}; ${OPENAI_PROJECT_KEY} ${AZURE_HEX_KEY}`;
    const once = redactText(text);
    expect(redactText(once)).toBe(once);
    expectNoSecrets(once);
  });

  it('stays fast on long token-like input', () => {
    const blob = 'a-b.c_d'.repeat(30_000);
    const started = Date.now();
    expect(redactText(blob)).toBe(blob);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('SENSITIVE_KEYS and PROMPT_KEYS', () => {
  it('list the documented keys and cannot be modified', () => {
    expect(SENSITIVE_KEYS).toEqual(
      expect.arrayContaining([
        'authorization',
        'api-key',
        'apiKey',
        'api_key',
        'x-api-key',
        'ocp-apim-subscription-key',
        'password',
        'secret',
        'token',
        'access_token',
        'client_secret',
        'cookie',
        'set-cookie',
      ]),
    );
    expect(PROMPT_KEYS).toEqual(expect.arrayContaining(['messages', 'prompt', 'content', 'input', 'completion']));
    expect(Object.isFrozen(SENSITIVE_KEYS)).toBe(true);
  });
});

describe('redactSecrets format', () => {
  const setup = (options?: Parameters<typeof redactSecrets>[0]) =>
    createMemoryLogger(winston.format.combine(redactSecrets(options), winston.format.json()));

  it('redacts the message, the formatted line and every symbol-keyed field', async () => {
    const { logger, transport } = setup();
    logger.warn(`calling with ${OPENAI_PROJECT_KEY}`, { attempt: 1 }, `extra ${AZURE_HEX_KEY}`);
    await flushLogs();

    const [info] = transport.entries;
    expect(info.message).toBe(`calling with ${REDACTED}`);
    expect(info[LEVEL]).toBe('warn');
    expect(info.level).toBe('warn');
    expect(info[SPLAT]).toEqual([{ attempt: 1 }, `extra ${REDACTED}`]);
    expect(JSON.parse(transport.lines()[0])).toEqual({
      level: 'warn',
      message: `calling with ${REDACTED}`,
      attempt: 1,
    });
    expectNoSecrets(transport.dump());
  });

  it('redacts a formatted line produced by an earlier format', async () => {
    const printFirst = winston.format((info) => {
      info[MESSAGE] = `${info.level}: ${String(info.message)} ${JSON.stringify(info.headers)}`;
      return info;
    })();
    const { logger, transport } = createMemoryLogger(winston.format.combine(printFirst, redactSecrets()));
    logger.info(`key ${OPENAI_LEGACY_KEY}`, { headers: { 'api-key': HEADER_VALUE } });
    await flushLogs();

    expect(transport.lines()[0]).toBe(`info: key ${REDACTED} {"api-key":"${REDACTED}"}`);
    expectNoSecrets(transport.dump());
  });

  it('replaces the values of sensitive keys at any depth and in any spelling', async () => {
    const { logger, transport } = setup();
    logger.error('request failed', {
      request: {
        headers: {
          Authorization: `Bearer ${OPAQUE_TOKEN}`,
          'API-KEY': HEADER_VALUE,
          'X-Api-Key': HEADER_VALUE,
          'Ocp-Apim-Subscription-Key': HEADER_VALUE,
          cookie: `s=${HEADER_VALUE}`,
          'content-type': 'application/json',
        },
        options: {
          apiKey: HEADER_VALUE,
          openaiApiKey: HEADER_VALUE,
          dbPassword: 'hunter2',
          client_secret: HEADER_VALUE,
        },
      },
      tokens: [{ access_token: HEADER_VALUE, token: { value: HEADER_VALUE } }],
      usage: { total_tokens: 42, prompt_tokens: 30 },
    });
    await flushLogs();

    const info = transport.entries[0] as Record<string, unknown>;
    expect(info.request).toEqual({
      headers: {
        Authorization: REDACTED,
        'API-KEY': REDACTED,
        'X-Api-Key': REDACTED,
        'Ocp-Apim-Subscription-Key': REDACTED,
        cookie: REDACTED,
        'content-type': 'application/json',
      },
      options: { apiKey: REDACTED, openaiApiKey: REDACTED, dbPassword: REDACTED, client_secret: REDACTED },
    });
    expect(info.tokens).toEqual([{ access_token: REDACTED, token: REDACTED }]);
    expect(info.usage).toEqual({ total_tokens: 42, prompt_tokens: 30 });
    expectNoSecrets(transport.dump());
  });

  it('shows whether a credential was set without showing it', async () => {
    const { logger, transport } = setup();
    logger.info('config', { apiKey: undefined, token: null, secret: HEADER_VALUE });
    await flushLogs();
    expect(transport.entries[0]).toMatchObject({ apiKey: undefined, token: null, secret: REDACTED });
  });

  it('summarizes prompts and completions instead of logging them', async () => {
    const { logger, transport } = setup();
    logger.debug('calling model', {
      body: {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: PROMPT_TEXT },
          { role: 'user', content: PROMPT_TEXT },
        ],
        max_tokens: 100,
      },
      legacy: { prompt: PROMPT_TEXT, input: [PROMPT_TEXT] },
      response: { choices: [{ index: 0, message: { role: 'assistant', content: COMPLETION_TEXT } }] },
      completion: COMPLETION_TEXT,
      single: { messages: [{ role: 'user', content: PROMPT_TEXT }] },
    });
    await flushLogs();

    expect(transport.entries[0]).toMatchObject({
      body: { model: 'gpt-4o', messages: '[REDACTED 2 messages]', max_tokens: 100 },
      legacy: { prompt: '[REDACTED PROMPT]', input: '[REDACTED 1 item]' },
      response: { choices: [{ index: 0, message: { role: 'assistant', content: '[REDACTED PROMPT]' } }] },
      completion: '[REDACTED PROMPT]',
      single: { messages: '[REDACTED 1 message]' },
    });
    expectNoSecrets(transport.dump());
  });

  it('redacts inside arrays, Maps, Sets and WHATWG Headers', async () => {
    const { logger, transport } = setup();
    const headers = new Headers({ 'api-key': HEADER_VALUE, 'x-request-id': 'req_abc123' });
    logger.warn('collections', {
      list: [`Bearer ${OPAQUE_TOKEN}`, [AZURE_HEX_KEY, 'plain']],
      map: new Map<string, unknown>([
        ['authorization', `Bearer ${OPAQUE_TOKEN}`],
        ['note', `key ${OPENAI_SERVICE_KEY}`],
      ]),
      set: new Set([AZURE_84_KEY, 'plain']),
      headers,
      payload: Buffer.from(HEADER_VALUE),
    });
    await flushLogs();

    expect(transport.entries[0]).toMatchObject({
      list: [`Bearer ${REDACTED}`, [REDACTED, 'plain']],
      map: { authorization: REDACTED, note: `key ${REDACTED}` },
      set: [REDACTED, 'plain'],
      headers: { 'api-key': REDACTED, 'x-request-id': 'req_abc123' },
      payload: `[Binary ${HEADER_VALUE.length} bytes]`,
    });
    expectNoSecrets(transport.dump());
  });

  it('redacts error messages, stacks and whole cause chains', async () => {
    const { logger, transport } = setup();
    const root = new Error(`connect failed, Authorization: Bearer ${OPAQUE_TOKEN}`);
    const middle = new Error(`upstream said: invalid api-key ${AZURE_HEX_KEY}`, { cause: root });
    const apiError = Object.assign(
      new Error(`401 Incorrect API key provided: ${OPENAI_PROJECT_KEY}`, { cause: middle }),
      {
        status: 401,
        headers: new Headers({ 'x-request-id': 'req_abc123', 'set-cookie': `s=${HEADER_VALUE}` }),
        error: { message: `key ${OPENAI_PROJECT_KEY} is wrong`, code: 'invalid_api_key' },
      },
    );
    logger.error('call failed', { error: apiError });
    await flushLogs();

    const logged = (transport.entries[0] as Record<string, unknown>).error as Record<string, unknown>;
    expect(logged).toBeInstanceOf(Error);
    expect(logged).not.toBe(apiError);
    expect(logged.message).toBe(`401 Incorrect API key provided: ${REDACTED}`);
    expect(String(logged.stack)).toContain(`401 Incorrect API key provided: ${REDACTED}`);
    expect(logged.status).toBe(401);
    expect(logged.headers).toEqual({ 'x-request-id': 'req_abc123', 'set-cookie': REDACTED });
    expect(logged.error).toEqual({ message: `key ${REDACTED} is wrong`, code: 'invalid_api_key' });
    const cause = logged.cause as Record<string, unknown>;
    expect(cause.message).toBe(`upstream said: invalid api-key ${REDACTED}`);
    expect((cause.cause as Record<string, unknown>).message).toBe(`connect failed, Authorization: Bearer ${REDACTED}`);
    // JSON output now carries the error fields (a raw Error would serialize to {}).
    expect(transport.lines()[0]).toContain(`"message":"401 Incorrect API key provided: ${REDACTED}"`);
    expectNoSecrets(transport.dump());
  });

  it('redacts an Error logged as the entry itself and keeps it an Error', async () => {
    const { logger, transport } = createMemoryLogger(
      winston.format.combine(redactSecrets(), winston.format.errors({ stack: true }), winston.format.json()),
    );
    const error = new Error(`token=${HEADER_VALUE} rejected`);
    const originalStack = error.stack;
    logger.error(error);
    await flushLogs();

    expect(transport.entries[0].message).toBe(`token=${REDACTED} rejected`);
    expect(transport.entries[0][LEVEL]).toBe('error');
    expect(JSON.parse(transport.lines()[0]).stack).toContain(`token=${REDACTED} rejected`);
    expect(error.message).toBe(`token=${HEADER_VALUE} rejected`);
    expect(error.stack).toBe(originalStack);
    expectNoSecrets(transport.dump());
  });

  it('redacts AggregateError members', async () => {
    const { logger, transport } = setup();
    logger.error('all failed', {
      error: new AggregateError([new Error(`bad ${OPENAI_LEGACY_KEY}`)], 'all attempts failed'),
    });
    await flushLogs();
    const logged = (transport.entries[0] as Record<string, unknown>).error as { errors: Array<{ message: string }> };
    expect(logged.errors[0].message).toBe(`bad ${REDACTED}`);
    expectNoSecrets(transport.dump());
  });

  it('handles cycles, shared references and deep nesting', async () => {
    const { logger, transport } = setup();
    const node: Record<string, unknown> = { name: 'node', apiKey: HEADER_VALUE };
    node.self = node;
    const errorWithCycle = new Error(`loop ${AZURE_HEX_KEY}`) as Error & { cause?: unknown };
    errorWithCycle.cause = errorWithCycle;
    const shared = { note: 'shared' };
    let deep: Record<string, unknown> = { secret: HEADER_VALUE };
    for (let i = 0; i < 50; i += 1) deep = { next: deep };

    logger.warn('graph', { node, errorWithCycle, a: shared, b: shared, deep });
    await flushLogs();

    const info = transport.entries[0] as Record<string, unknown>;
    expect(info.node).toEqual({ name: 'node', apiKey: REDACTED, self: '[Circular]' });
    expect((info.errorWithCycle as Record<string, unknown>).cause).toBe('[Circular]');
    expect(info.a).toEqual({ note: 'shared' });
    expect(info.b).toEqual({ note: 'shared' });
    expect(transport.lines()[0]).toContain('[Truncated]');
    expectNoSecrets(transport.dump());
  });

  it('drops values it cannot read instead of throwing from the log call', async () => {
    const { logger, transport } = setup();
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('no keys for you');
        },
      },
    );
    const withGetter = Object.defineProperty({ ok: 1 }, 'broken', {
      enumerable: true,
      get: () => {
        throw new Error('getter failed');
      },
    });
    expect(() => logger.warn('odd values', { hostile, withGetter })).not.toThrow();
    await flushLogs();
    expect(transport.entries[0]).toMatchObject({
      hostile: '[Unreadable]',
      withGetter: { ok: 1, broken: '[Unreadable]' },
    });
  });

  it('never mutates the caller’s objects', async () => {
    const { logger, transport } = setup();
    const cause = new Error(`Bearer ${OPAQUE_TOKEN}`);
    const meta: Record<string, unknown> = {
      headers: { 'api-key': HEADER_VALUE },
      messages: [{ role: 'user', content: PROMPT_TEXT }],
      note: `key ${OPENAI_PROJECT_KEY}`,
      error: new Error(`failed with ${AZURE_HEX_KEY}`, { cause }),
      list: [AZURE_HEX_KEY],
    };
    meta.self = meta;
    const before = snapshot(meta);

    logger.warn('mutation check', meta);
    await flushLogs();

    expect(snapshot(meta)).toBe(before);
    expect((meta.headers as Record<string, unknown>)['api-key']).toBe(HEADER_VALUE);
    expectNoSecrets(transport.dump());
  });

  it('replaces configured literal secrets and extra keys', async () => {
    const customSecret = 'my+custom/secret=value';
    const { logger, transport } = setup({ secrets: [customSecret, ''], extraKeys: ['X-Internal-Auth'] });
    logger.info(`using ${customSecret}`, {
      url: `https://example.com/?q=${encodeURIComponent(customSecret)}`,
      nested: { note: `embedded${customSecret}here` },
      x_internal_auth: HEADER_VALUE,
    });
    await flushLogs();

    expect(transport.entries[0]).toMatchObject({
      message: `using ${REDACTED}`,
      url: `https://example.com/?q=${REDACTED}`,
      nested: { note: `embedded${REDACTED}here` },
      x_internal_auth: REDACTED,
    });
    expect(transport.dump()).not.toContain('custom');
    expectNoSecrets(transport.dump());
  });

  it('leaves ordinary entries unchanged', async () => {
    const { logger, transport } = setup();
    const message = 'Retrying ChatAgent.complete in 1.20s (attempt 1/3 failed: rate_limit 429, request req_abc)';
    const meta = {
      operation: 'ChatAgent.complete',
      attempt: 1,
      delayMs: 1200,
      requestId: 'req_abc123',
      status: 429,
      retryable: true,
      etag: 'deadbeef',
      tags: ['desk-top', 'rate_limit'],
      at: new Date('2026-11-22T10:00:00.000Z'),
      big: 10n,
    };
    logger.warn(message, meta);
    await flushLogs();

    expect(transport.entries[0]).toMatchObject({ message, ...meta });
  });
});

describe('redactValue', () => {
  it('applies the same rules outside winston', () => {
    const input = { apiKey: HEADER_VALUE, note: `Bearer ${OPAQUE_TOKEN}`, prompt: PROMPT_TEXT, n: 1 };
    expect(redactValue(input)).toEqual({
      apiKey: REDACTED,
      note: `Bearer ${REDACTED}`,
      prompt: '[REDACTED PROMPT]',
      n: 1,
    });
    expect(input.apiKey).toBe(HEADER_VALUE);
    expect(redactValue(`sk ${OPENAI_PROJECT_KEY}`)).toBe(`sk ${REDACTED}`);
    expect(redactValue(42)).toBe(42);
  });

  it('bounds depth as configured', () => {
    expect(redactValue({ a: { b: { c: 1 } } }, { maxDepth: 2 })).toEqual({ a: { b: '[Truncated]' } });
  });
});
