import {
  completionBody,
  completionChunks,
  lastUserText,
  replyContent,
  splitIntoChunks,
} from '../../src/testing/completion';
import { exampleFromSchema } from '../../src/testing/json-schema-example';

const meta = { id: 'chatcmpl-1', model: 'gpt-4o', created: 1_700_000_000 };

describe('replyContent', () => {
  test('echoes the last user message', () => {
    const body = {
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second question' },
      ],
    };
    expect(replyContent(body)).toBe('Echo: second question');
  });

  test('joins the text parts of a content array', () => {
    const content = [
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: 'x' } },
      { type: 'text', text: 'here' },
    ];
    expect(lastUserText([{ role: 'user', content }])).toBe('look here');
  });

  test('keeps the first 200 characters', () => {
    expect(replyContent({ messages: [{ role: 'user', content: 'x'.repeat(500) }] })).toBe(`Echo: ${'x'.repeat(200)}`);
  });

  test('no user message, no messages', () => {
    expect(replyContent({ messages: [{ role: 'system', content: 's' }] })).toBe('Echo: ');
    expect(replyContent({})).toBe('Echo: ');
  });

  test('json_schema: a JSON document with a value per property', () => {
    const body = {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'answer',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              title: { type: 'string' },
              score: { type: 'number' },
              count: { type: 'integer' },
              done: { type: 'boolean' },
              tags: { type: 'array', items: { type: 'string' } },
              meta: { type: 'object' },
            },
            required: ['title', 'score', 'count', 'done', 'tags', 'meta'],
            additionalProperties: false,
          },
        },
      },
    };
    expect(JSON.parse(replyContent(body))).toEqual({
      title: 'example',
      score: 1,
      count: 1,
      done: true,
      tags: [],
      meta: {},
    });
  });

  test('json_object: a JSON document with the echo', () => {
    const body = { response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'hi' }] };
    expect(JSON.parse(replyContent(body))).toEqual({ echo: 'hi' });
  });
});

describe('exampleFromSchema', () => {
  test.each([
    [{ type: 'string' }, 'example'],
    [{ type: 'number' }, 1],
    [{ type: 'boolean' }, true],
    [{ type: 'null' }, null],
    [{ type: 'array' }, []],
    [{ type: 'object' }, {}],
    [{ type: ['string', 'null'] }, 'example'],
    [{ enum: ['red', 'green'] }, 'red'],
    [{ const: 42 }, 42],
    [{ anyOf: [{ type: 'boolean' }, { type: 'string' }] }, true],
    [{ $ref: '#/$defs/x' }, {}],
    [
      { type: 'object', properties: { inner: { type: 'object', properties: { n: { type: 'number' } } } } },
      { inner: { n: 1 } },
    ],
    [undefined, {}],
  ])('%j -> %j', (schema, expected) => {
    expect(exampleFromSchema(schema)).toEqual(expected);
  });
});

describe('splitIntoChunks', () => {
  test.each([
    ['Echo: hello world', ['Echo:', ' hello', ' world']],
    ['Echo: ', ['Echo:', ' ']],
    ['', []],
    ['{"title":"example","score":1}', ['{"title":"exampl', 'e","score":1}']],
  ])('%j', (text, pieces) => {
    expect(splitIntoChunks(text)).toEqual(pieces);
    expect(splitIntoChunks(text).join('')).toBe(text);
  });
});

describe('completion bodies', () => {
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello there' }] };

  test('chat.completion', () => {
    expect(completionBody(meta, body, 'Echo: hello there')).toMatchObject({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: hello there' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  });

  test('chunks: role, one per piece, finish; usage only when asked', () => {
    const { role, contents, final, usage } = completionChunks(meta, body, 'Echo: hello there');
    expect(role.choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
    expect(contents.map((chunk) => chunk.choices[0].delta.content)).toEqual(['Echo:', ' hello', ' there']);
    expect(final.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(usage).toEqual([]);
    const withUsage = completionChunks(meta, { ...body, stream_options: { include_usage: true } }, 'Echo: hello there');
    expect(withUsage.usage).toEqual([
      expect.objectContaining({ choices: [], usage: expect.objectContaining({ total_tokens: 8 }) }),
    ]);
  });
});
