/**
 * The secrets the library knows by value: the keys it handed to an SDK, least recently used
 * forgotten first, and the ones the SDKs read from the environment.
 */
import {
  containsKnownSecret,
  forgetSecrets,
  knownSecrets,
  rememberSecret,
  withoutKnownSecrets,
} from '../../src/internal/known-secrets';

afterEach(() => {
  forgetSecrets();
  delete process.env.OPENAI_API_KEY;
});

describe('known secrets', () => {
  it('remembers a key handed over, and scrubs it anywhere in a text', () => {
    rememberSecret('tenant-key-0123456789');
    expect(containsKnownSecret('request tenant-key-0123456789 failed')).toBe(true);
    expect(withoutKnownSecrets('a tenant-key-0123456789 b', '[X]')).toBe('a [X] b');
  });

  it('ignores what is no credential worth the name (shorter than 8 characters, not a string)', () => {
    rememberSecret('short');
    rememberSecret(12345678);
    expect(knownSecrets()).toEqual([]);
  });

  it('a key in use stays known however many other keys come and go (least recently used is forgotten)', () => {
    rememberSecret('tenant-0-key-in-use');
    for (let i = 1; i <= 300; i++) {
      rememberSecret(`tenant-${i}-key-passing`);
      rememberSecret('tenant-0-key-in-use'); // handed over again on each of its calls
    }
    expect(containsKnownSecret('tenant-0-key-in-use')).toBe(true);
    expect(containsKnownSecret('tenant-1-key-passing')).toBe(false);
    expect(knownSecrets().length).toBeLessThanOrEqual(256);
  });

  it("reads the SDKs' environment variable each time (it may change)", () => {
    expect(containsKnownSecret('x proxy-env-key-123456 y')).toBe(false);
    process.env.OPENAI_API_KEY = 'proxy-env-key-123456';
    expect(containsKnownSecret('x proxy-env-key-123456 y')).toBe(true);
  });
});
