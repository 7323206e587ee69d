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
    ['response-failed:0', { kind: 'response-failed', chunks: 0, code: 'server_error' }],
    ['response-failed:3', { kind: 'response-failed', chunks: 3, code: 'server_error' }],
    ['response-failed:2:rate_limit_exceeded', { kind: 'response-failed', chunks: 2, code: 'rate_limit_exceeded' }],
    ['response-failed:10000:x', { kind: 'response-failed', chunks: 10_000, code: 'x' }],
    ['error-event:0', { kind: 'error-event', chunks: 0 }],
    ['error-event:5', { kind: 'error-event', chunks: 5 }],
    ['incomplete:max_output_tokens', { kind: 'incomplete', reason: 'max_output_tokens' }],
    ['incomplete:content_filter', { kind: 'incomplete', reason: 'content_filter' }],
    ['quota-stream', { kind: 'quota-stream' }],
    ['stall-first:0', { kind: 'stall-first', delayMs: 0 }],
    ['stall-first:86400000', { kind: 'stall-first', delayMs: 86_400_000 }],
    ['stall:0:10', { kind: 'stall', chunks: 0, delayMs: 10 }],
    ['stall:3:86400000', { kind: 'stall', chunks: 3, delayMs: 86_400_000 }],
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
    'response-failed',
    'response-failed:',
    'response-failed:-1',
    'response-failed:10001',
    'response-failed:1:',
    'response-failed:1:Server_Error',
    'response-failed:1:server-error',
    'response-failed:1:code1',
    'response-failed:1:a:b',
    `response-failed:1:${'a'.repeat(65)}`,
    'response-failed:x:server_error',
    'error-event',
    'error-event:1.5',
    'error-event:10001',
    'error-event:1:2',
    'incomplete',
    'incomplete:',
    'incomplete:length',
    'incomplete:1',
    'quota-stream:1',
    'stall-first',
    'stall-first:86400001',
    'stall-first:1:2',
    'stall',
    'stall:5',
    'stall:1:',
    'stall:10001:5',
    'stall:1:86400001',
    'stall:1:2:3',
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

  test('the message names the new forms and the code rule', () => {
    expect(() => parseFaultSpecs(['stall:5'], 'faults')).toThrow(
      /"stall:5" in faults\[0\]\..*response-failed:<n>\[:<code>\], error-event:<n>, incomplete:max_output_tokens, incomplete:content_filter, quota-stream, stall-first:<ms>, stall:<n>:<ms> .*<code> lower-case letters and underscores/,
    );
  });

  test('rejects a non-array', () => {
    expect(() => parseFaultSpecs('429,ok', 'script')).toThrow(TypeError);
  });
});
