/**
 * Issue #12, item 8: the errors documented as safe to show print safely. `CircuitOpenError`
 * keeps the failure that opened the circuit as `error.cause` for programs, yet neither
 * `util.inspect`, `console.error`, `String` nor `JSON.stringify` prints any of its text;
 * `UpstreamThrottledError` carries no provider text at all; `SchemaValidationError` names
 * positions and types, never a property name the model invented or a value it produced.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import winston from 'winston';
import {
  CircuitOpenError,
  configureResilience,
  createResiliencePipeline,
  isCircuitOpenError,
  resetResilience,
  SchemaValidationError,
  UpstreamThrottledError,
} from '../../src';
import { createMemoryLogger } from '../support/memory-transport';
import { checkJsonSchema, type JsonSchema } from '../../src/llm/json-schema-check';

const FAKE_PROMPT = 'Summarise the confidential memo for Project Kestrel';
const FAKE_KEY = 'sk-proj-FAKEKEYa1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ';
const SECRETS = [FAKE_PROMPT, 'Kestrel', FAKE_KEY, 'FAKEKEY'];

/** What `console.error(value)` writes (a real Node console, not jest's). */
function consoleErrorOutput(value: unknown): string {
  let output = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  new Console({ stdout: sink, stderr: sink, colorMode: false }).error(value);
  return output;
}

function renderings(error: unknown): Array<[string, string]> {
  return [
    ['util.inspect', inspect(error)],
    ['util.inspect (showHidden, depth Infinity)', inspect(error, { showHidden: true, depth: Infinity })],
    ['console.error', consoleErrorOutput(error)],
    ['console.error inside an object', consoleErrorOutput({ error })],
    ['String', String(error)],
    ['JSON.stringify', JSON.stringify(error)],
  ];
}

function expectClean(error: unknown, secrets: readonly string[] = SECRETS): void {
  for (const [how, text] of renderings(error)) {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`${how} prints ${JSON.stringify(secret)}:\n${text}`);
    }
  }
}

/** A provider error whose message repeats the prompt and the key, as some gateways do. */
function providerError(): Error {
  return Object.assign(new Error(`503 upstream failed for prompt "${FAKE_PROMPT}" with api-key ${FAKE_KEY}`), {
    status: 503,
    error: { message: FAKE_PROMPT },
  });
}

describe('CircuitOpenError', () => {
  it('keeps its cause for programs but prints none of its text', () => {
    const cause = providerError();
    const error = new CircuitOpenError('openai|https://api.example.com/v1|gpt-4o', 12_000, { cause });
    expect(error.cause).toBe(cause);
    expectClean(error);
  });

  it('util.inspect shows the name, message, key, wait and a summary of the cause', () => {
    const error = new CircuitOpenError('chat-upstream', 12_000, { cause: providerError() });
    const text = inspect(error);
    expect(text).toMatch(/^CircuitOpenError: The service is temporarily unavailable\n\s+at /);
    expect(text).toContain("key: 'chat-upstream'");
    expect(text).toContain('retryAfterMs: 12000');
    expect(text).toMatch(/cause: 'Error \((unknown|server)(, status 503)?\)'/);
    expect(String(error)).toBe('CircuitOpenError: The service is temporarily unavailable');
  });

  it('without a cause', () => {
    const error = new CircuitOpenError('k', 5);
    expect(error.cause).toBeUndefined();
    expect(inspect(error)).not.toContain('cause');
  });

  it('also when a real circuit opens on such failures', async () => {
    configureResilience({ random: () => 0, logger: createMemoryLogger(winston.format.json()).logger });
    try {
      const pipeline = createResiliencePipeline({
        name: 'leaky',
        key: 'leaky-upstream',
        maxAttempts: 5,
        baseDelayMs: 100,
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 60_000 },
        shouldRetry: () => true,
      });
      const rejection = await pipeline
        .execute(() => {
          throw providerError();
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isCircuitOpenError(rejection)).toBe(true);
      expect((rejection as CircuitOpenError).cause).toBeInstanceOf(Error);
      expect(((rejection as CircuitOpenError).cause as Error).message).toContain(FAKE_PROMPT);
      expectClean(rejection);
    } finally {
      resetResilience();
    }
  });
});

describe('UpstreamThrottledError', () => {
  it('carries no provider text in any rendering', () => {
    const error = new UpstreamThrottledError('ChatAgent.complete', 'cooldown', 30_000, { maxRetryAfterMs: 10_000 });
    expectClean(error);
    expect(String(error)).toBe(
      'UpstreamThrottledError: ChatAgent.complete was not attempted: the upstream asked to wait 30 s, beyond maxRetryAfterMs (10 s)',
    );
    expect(error).not.toHaveProperty('cause');
  });
});

describe('SchemaValidationError', () => {
  const ITEMS_SCHEMA: JsonSchema = {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        items: { type: 'array', items: { type: 'number' } },
        label: { type: 'string', enum: ['a', 'b'] },
        kind: { const: 'fixed' },
      },
      required: ['items'],
      additionalProperties: false,
    },
    maxItems: 3,
  };

  it.each<[string, unknown, JsonSchema, string[]]>([
    [
      'a wrong type, by position',
      [{ items: [1, 2, FAKE_PROMPT] }],
      ITEMS_SCHEMA,
      ['$[0].items[2]: expected number, got string'],
    ],
    ['a wrong root type', FAKE_PROMPT, ITEMS_SCHEMA, ['$: expected array, got string']],
    ['null and integers', [null], { type: 'array', items: { type: 'string' } }, ['$[0]: expected string, got null']],
    ['an integer expected', 1.5, { type: 'integer' }, ['$: expected integer, got number']],
    [
      'an invented property',
      [{ items: [], [FAKE_PROMPT]: FAKE_KEY }],
      ITEMS_SCHEMA,
      ["$[0]: property #2 of 2 is not allowed (not in the schema's properties)"],
    ],
    [
      'an enum miss',
      [{ items: [], label: FAKE_PROMPT }],
      ITEMS_SCHEMA,
      ["$[0].label: expected one of the schema's enum values, got another string"],
    ],
    [
      'a const miss',
      [{ items: [], kind: FAKE_KEY }],
      ITEMS_SCHEMA,
      ["$[0].kind: expected the schema's const, got another string"],
    ],
    ['a missing schema property', [{}], ITEMS_SCHEMA, ['$[0].items is required']],
    [
      'too many items',
      [{ items: [] }, { items: [] }, { items: [] }, { items: [] }],
      ITEMS_SCHEMA,
      ['$: expected at most 3 items, got 4'],
    ],
    [
      'a property named like an Object.prototype member',
      { constructor: FAKE_PROMPT },
      {
        type: 'object',
        properties: {},
        additionalProperties: false,
      },
      ["$: property #1 of 1 is not allowed (not in the schema's properties)"],
    ],
  ])('%s', (_case, value, schema, problems) => {
    expect(checkJsonSchema(value, schema)).toEqual(problems);
  });

  it('stops at 20 problems', () => {
    const many = Array.from({ length: 50 }, () => FAKE_PROMPT);
    expect(checkJsonSchema(many, { type: 'array', items: { type: 'number' } })).toHaveLength(20);
  });

  it('prints no key or value the model chose, yet keeps the raw answer for developers', () => {
    const answer = JSON.stringify([{ items: [1, FAKE_KEY], [FAKE_PROMPT]: true, label: 'Kestrel' }]);
    const problems = checkJsonSchema(JSON.parse(answer), ITEMS_SCHEMA);
    const error = new SchemaValidationError(problems, answer);
    expect(error.content).toBe(answer);
    expect(error.problems).toEqual([
      '$[0].items[1]: expected number, got string',
      "$[0]: property #2 of 3 is not allowed (not in the schema's properties)",
      "$[0].label: expected one of the schema's enum values, got another string",
    ]);
    expect(Object.keys(error)).not.toContain('content');
    expectClean(error);
  });
});
