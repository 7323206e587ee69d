// This folder's suites run twice (see jest.config.js): compiled with experimentalDecorators,
// and with TC39 standard decorators. This guards that each run really uses its mode.
declare const DECORATOR_MODE: 'legacy' | 'standard';

test('the suite is compiled in the decorator mode of its jest project', () => {
  let seen = 'none';
  const probe = (_target: unknown, keyOrContext: unknown): void => {
    seen = typeof keyOrContext === 'object' ? 'standard' : 'legacy';
  };
  class Probe {
    @(probe as any)
    method() {}
  }
  expect(Probe).toBeDefined();
  expect(seen).toBe(DECORATOR_MODE);
});
