// What happens when a class is defined: its options and the configuration layers known then
// are checked, and nothing else is decided that the application may still change before the
// first call (an OpenTelemetry SDK registered after the imports, say). Each test loads a fresh
// copy of the library, so the detection really has not run yet.
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

type Lib = typeof import('../../src');

function freshLibrary(): Lib {
  let lib: Lib | undefined;
  jest.isolateModules(() => {
    lib = require('../../src');
  });
  return lib!;
}

afterEach(() => {
  trace.disable();
});

test('an OpenTelemetry SDK registered after the class was defined, before its first call, is used', async () => {
  const lib = freshLibrary();
  class Agent {
    @lib.Retry({ shouldRetry: () => false })
    async run() {
      return 'ok';
    }
  }
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

  expect(await new Agent().run()).toBe('ok');
  expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['llm_resilience.call']);
});

test('a pipeline created before the SDK was registered is instrumented too', async () => {
  const lib = freshLibrary();
  const pipeline = lib.createResiliencePipeline({ name: 'traced' });
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

  expect(await pipeline.execute(() => 'ok')).toBe('ok');
  const [span] = exporter.getFinishedSpans();
  expect(span.attributes['llm_resilience.method']).toBe('traced');
  expect(span.attributes['llm_resilience.key']).toBe('traced');
});
