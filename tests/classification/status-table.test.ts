import { NODE_NETWORK_CODES, UNDICI_NETWORK_CODES } from '../../src/classification/adapters/network-error-facts';
import type { FailureKind } from '../../src/classification';
import {
  NETWORK_CODE_RULES,
  PROVIDER_CODE_RULES,
  STATUS_RULES,
  ruleForNetworkCode,
  ruleForProviderCode,
  ruleForStatus,
} from '../../src/classification/status-table';

type Row = [status: number, kind: FailureKind | undefined, retryable: boolean | undefined];

const STATUS_EXPECTATIONS: Row[] = [
  [400, 'bad_request', false],
  [401, 'auth', false],
  [403, 'auth', false],
  [404, 'bad_request', false],
  [405, 'bad_request', false],
  [408, 'timeout', true],
  [409, 'server', true],
  [413, 'bad_request', false],
  [422, 'bad_request', false],
  [429, 'rate_limit', true],
  [499, 'bad_request', false],
  [500, 'server', true],
  [501, 'server', false],
  [502, 'server', true],
  [503, 'server', true],
  [504, 'server', true],
  [505, 'server', false],
  [507, 'server', true],
  [529, 'server', true],
  [599, 'server', true],
  [200, undefined, undefined],
  [302, undefined, undefined],
  [600, undefined, undefined],
  [0, undefined, undefined],
];

describe('STATUS_RULES', () => {
  it.each(STATUS_EXPECTATIONS)('status %d -> %s (retryable %s)', (status, kind, retryable) => {
    const rule = ruleForStatus(status);
    expect(rule?.kind).toBe(kind);
    expect(rule?.retryable).toBe(retryable);
  });

  it('is frozen data', () => {
    expect(Object.isFrozen(STATUS_RULES)).toBe(true);
    expect(STATUS_RULES.every((rule) => Object.isFrozen(rule) && rule.from <= rule.to)).toBe(true);
  });
});

describe('PROVIDER_CODE_RULES', () => {
  it.each<[string, number | undefined, FailureKind | undefined]>([
    ['insufficient_quota', 429, 'quota_exhausted'],
    ['insufficient_quota', 400, undefined],
    ['content_filter', 400, 'content_filter'],
    ['ResponsibleAIPolicyViolation', 400, 'content_filter'],
    ['context_length_exceeded', 400, 'context_length'],
    ['context_length_exceeded', 500, undefined],
    ['content_filter', undefined, 'content_filter'],
    ['rate_limit_exceeded', 429, undefined],
  ])('code %s at status %p -> %p', (code, status, kind) => {
    const rule = ruleForProviderCode([code], status);
    expect(rule?.kind).toBe(kind);
    if (rule) expect(rule.retryable).toBe(false);
  });

  it('tries codes in the order given and skips undefined ones', () => {
    expect(ruleForProviderCode([undefined, 'unknown_code', 'context_length_exceeded'], 400)?.code).toBe(
      'context_length_exceeded',
    );
    expect(ruleForProviderCode([], 400)).toBeUndefined();
  });

  it('never makes a provider code retryable', () => {
    expect(PROVIDER_CODE_RULES.every((rule) => !rule.retryable)).toBe(true);
  });
});

describe('NETWORK_CODE_RULES', () => {
  it.each<[string, FailureKind, boolean]>([
    ['ECONNRESET', 'network', true],
    ['ECONNREFUSED', 'network', true],
    ['ETIMEDOUT', 'timeout', true],
    ['ESOCKETTIMEDOUT', 'timeout', true],
    ['EPIPE', 'network', true],
    ['EHOSTUNREACH', 'network', true],
    ['ENETUNREACH', 'network', true],
    ['EAI_AGAIN', 'network', true],
    ['ENOTFOUND', 'network', false],
    ['UND_ERR_SOCKET', 'network', true],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', true],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', true],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', true],
    ['REQUEST_SEND_ERROR', 'network', true],
  ])('%s -> %s (retryable %s)', (code, kind, retryable) => {
    expect(ruleForNetworkCode(code)).toEqual({ kind, retryable });
  });

  it.each(['ENOENT', 'EACCES', 'toString', '__proto__', ''])('has no rule for %p', (code) => {
    expect(ruleForNetworkCode(code)).toBeUndefined();
  });

  it('has a rule for every code the network adapter recognises', () => {
    for (const code of [...NODE_NETWORK_CODES, ...UNDICI_NETWORK_CODES]) {
      expect(Object.keys(NETWORK_CODE_RULES)).toContain(code);
    }
  });
});
