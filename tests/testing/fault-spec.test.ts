import { FAULT_SPEC_FORMS, parseFaultSpec, parseFaultSpecs } from '../../src/testing/fault-spec';

describe('parseFaultSpec', () => {
  test.each([
    ['ok', { kind: 'ok' }],
    ['429', { kind: 'rate-limit', retryAfterMs: 200 }],
    ['429:1500', { kind: 'rate-limit', retryAfterMs: 1500 }],
    ['429:0', { kind: 'rate-limit', retryAfterMs: 0 }],
    ['429-quota', { kind: 'quota' }],
    ['500', { kind: 'server-error', status: 500 }],
    ['502', { kind: 'server-error', status: 502 }],
    ['503', { kind: 'server-error', status: 503 }],
    ['504', { kind: 'server-error', status: 504 }],
    ['401', { kind: 'auth' }],
    ['400-content-filter', { kind: 'content-filter' }],
    ['400-context-length', { kind: 'context-length' }],
    ['reset', { kind: 'reset' }],
    ['hang', { kind: 'hang' }],
    ['stream-cut:0', { kind: 'stream-cut', chunks: 0 }],
    ['stream-cut:3', { kind: 'stream-cut', chunks: 3 }],
    ['malformed-json', { kind: 'malformed-json' }],
    ['slow:25', { kind: 'slow', delayMs: 25 }],
    ['slow:86400000', { kind: 'slow', delayMs: 86_400_000 }],
  ])('%s', (spec, expected) => {
    expect(parseFaultSpec(spec)).toEqual({ ...expected, spec });
  });

  test.each([
    '418',
    '',
    ' ok',
    'OK',
    '429:',
    '429:-1',
    '429:1.5',
    '429:1e3',
    'slow',
    'slow:',
    'slow:abc',
    'slow:86400001',
    'stream-cut',
    'stream-cut:10001',
    'reset:1',
    'hang:5',
    'ok:1',
    '500:1',
    'constructor',
    'toString',
    '__proto__',
    'hasOwnProperty:1',
  ])('rejects %j', (spec) => {
    expect(parseFaultSpec(spec)).toBeUndefined();
  });

  test.each([undefined, null, 429, {}, ['ok']])('rejects the non-string %p', (spec) => {
    expect(parseFaultSpec(spec)).toBeUndefined();
  });
});

describe('parseFaultSpecs', () => {
  test('parses a list in order', () => {
    expect(parseFaultSpecs(['429', 'ok'], 'script').map((fault) => fault.kind)).toEqual(['rate-limit', 'ok']);
  });

  test('names the bad spec, its position and every valid form', () => {
    expect(() => parseFaultSpecs(['ok', '418'], 'script')).toThrow(/Invalid fault spec "418" in script\[1\]/);
    try {
      parseFaultSpecs(['418'], 'script');
    } catch (error) {
      for (const form of FAULT_SPEC_FORMS) expect((error as Error).message).toContain(form);
    }
  });

  test('rejects a non-array', () => {
    expect(() => parseFaultSpecs('429,ok', 'script')).toThrow(TypeError);
  });
});
