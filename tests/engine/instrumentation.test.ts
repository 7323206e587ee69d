import { Retry, configureResilience, resetResilience } from '../../src';
import { CallInfo, Instrumentation, setInstrumentation } from '../../src/observability/call-instrumentation';
import { isTransient, TransientError } from '../support/errors';

// The engine's side of the OpenTelemetry contract, with a recording Instrumentation.
let calls: Array<{ info: CallInfo; log: string[] }>;
const recording: Instrumentation = {
  startCall(info) {
    const record = { info, log: [] as string[] };
    calls.push(record);
    return {
      attempt: (attempt) => void record.log.push(`attempt ${attempt}`),
      backoff: (attempt, delayMs, source) => void record.log.push(`backoff ${attempt} ${delayMs} ${source}`),
      end: (outcome, attempts, failure) =>
        void record.log.push(`end ${outcome} ${attempts}${failure ? ` ${failure.kind} ${failure.errorType}` : ''}`),
    };
  },
};

beforeEach(() => {
  resetResilience();
  calls = [];
  configureResilience({ random: () => 0.5, logger: { error() {}, warn() {}, info() {}, debug() {} } });
  // After configureResilience, which re-arms OpenTelemetry detection.
  setInstrumentation(recording);
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  setInstrumentation(undefined);
  resetResilience();
});

function agent(failures: number, options: Partial<Parameters<typeof Retry>[0]> = {}) {
  let n = 0;
  class Agent {
    @Retry({ shouldRetry: isTransient, key: 'k', spanAttributes: () => ({ 'gen_ai.system': 'openai' }), ...options })
    async run() {
      if (n++ < failures) throw new TransientError();
      return 'ok';
    }
  }
  return new Agent();
}

const settle = async (promise: Promise<unknown>) => {
  const outcome = promise.catch((error: unknown) => error);
  await jest.runAllTimersAsync();
  return outcome;
};

test('a call that succeeds at once: one span, outcome successful_without_retry', async () => {
  await settle(agent(0).run());
  expect(calls).toEqual([
    {
      info: { method: 'Agent.run', key: 'k', attributes: { 'gen_ai.system': 'openai' } },
      log: ['attempt 1', 'end successful_without_retry 1'],
    },
  ]);
});

test('a call that succeeds after retries records each attempt and backoff', async () => {
  await settle(agent(2).run());
  expect(calls[0].log).toEqual([
    'attempt 1',
    'backoff 1 500 backoff',
    'attempt 2',
    'backoff 2 1000 backoff',
    'attempt 3',
    'end successful_with_retry 3',
  ]);
});

test('a call that runs out of attempts ends failed_with_retry with its kind and class', async () => {
  await settle(agent(5, { maxAttempts: 2 }).run());
  expect(calls[0].log.at(-1)).toBe('end failed_with_retry 2 unknown TransientError');
});

test("the caller's abort ends the span too", async () => {
  const controller = new AbortController();
  class Agent {
    @Retry({ shouldRetry: isTransient })
    async run(_signal: AbortSignal) {
      throw new TransientError();
    }
  }
  const call = settle(new Agent().run(controller.signal));
  controller.abort(new Error('stop'));
  await call;
  expect(calls[0].log.at(-1)).toMatch(/^end failed_without_retry 1 aborted/);
});

test('an instrumentation that throws never breaks the call', async () => {
  setInstrumentation({
    startCall() {
      throw new Error('exporter down');
    },
  });
  await expect(settle(agent(1).run())).resolves.toBe('ok');
});
