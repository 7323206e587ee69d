import { node } from '../support/node-process';

// A decorated `async` method's wrapper is compiled once per method (src/engine/compiled-entry.ts).
// Where code generation from strings is disallowed (this flag, a Content-Security-Policy), the
// library must load and behave the same with its shared wrapper. Tests the BUILT package
// (`npm test` builds `dist/` first).
const SCRIPT = `
const { Retry, RetryOpenAI, createResiliencePipeline, getRetryContext, RetryConfig } = require('llm-resilience');
let blocked;
try { new Function('return 1'); blocked = false; } catch (error) { blocked = error instanceof EvalError; }
class Transient extends Error {}
const attempts = [];
class Service {
  async double(x) {
    attempts.push(getRetryContext()?.attempt);
    if (attempts.length === 1) throw new Transient('once');
    return x * 2;
  }
  async ask() {
    return 'asked';
  }
  sum(a, b) {
    return Promise.resolve(a + b);
  }
  boom() {
    throw new Error('thrown synchronously');
  }
}
const apply = (decorator, name) =>
  Object.defineProperty(Service.prototype, name, decorator(Service.prototype, name, Object.getOwnPropertyDescriptor(Service.prototype, name)));
apply(Retry({ shouldRetry: (error) => error instanceof Transient, baseDelayMs: 100, maxDelayMs: 100 }), 'double');
apply(RetryOpenAI({ baseDelayMs: 2000 }), 'ask');
apply(RetryOpenAI(), 'sum');
apply(RetryOpenAI(), 'boom');
const service = new Service();
const misconfigured = Object.assign(new Service(), { retryConfig: new RetryConfig({ maxDelayMs: 1000 }) });
const pipeline = createResiliencePipeline({ name: 'p' });
(async () => {
  const out = { blocked, name: service.double.name };
  out.value = await service.double(21);
  out.again = await service.double(1);
  out.attempts = attempts;
  out.asked = await service.ask();
  // A refusal before the first attempt is a rejection, never a synchronous throw.
  const refusal = misconfigured.ask();
  out.refusal = await refusal.then(() => 'resolved', (error) => error.name);
  out.sum = await service.sum(2, 3);
  try {
    service.boom();
  } catch (error) {
    out.thrown = error.message;
  }
  out.piped = await pipeline.execute((context) => context.attempt);
  console.log(JSON.stringify(out));
})();
`;

const EXPECTED = {
  name: 'double',
  value: 42,
  again: 2,
  attempts: [1, 2, 1],
  asked: 'asked',
  refusal: 'RetryConfigError',
  sum: 5,
  thrown: 'thrown synchronously',
  piped: 1,
};

describe('where code generation from strings is disallowed', () => {
  it('decorated methods and pipelines behave as they do elsewhere', () => {
    const disallowed = JSON.parse(node(['--disallow-code-generation-from-strings', '-e', SCRIPT]));
    const allowed = JSON.parse(node(['-e', SCRIPT]));
    expect(disallowed).toEqual({ blocked: true, ...EXPECTED });
    expect(allowed).toEqual({ blocked: false, ...EXPECTED });
  });
});
