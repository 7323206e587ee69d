import fs from 'node:fs';
import path from 'node:path';
import { node, ROOT } from '../support/node-process';

// The BUILT package (`npm run build` first; `npm test` does it): `llm-resilience/nestjs` is
// an entry point of its own, and nothing else loads @nestjs/*.

beforeAll(() => {
  for (const file of ['dist/cjs/integrations/nestjs/index.js', 'dist/esm/nestjs.mjs']) {
    if (!fs.existsSync(path.join(ROOT, file))) {
      throw new Error(`${file} is missing: run \`npm run build\` before jest (\`npm test\` does it for you).`);
    }
  }
});

it('require("llm-resilience") loads no @nestjs module (nor does the testing entry point)', () => {
  const loaded = JSON.parse(
    node([
      '-e',
      "require('./dist/cjs/index.js'); require('llm-resilience'); require('llm-resilience/testing');" +
        "console.log(JSON.stringify(Object.keys(require.cache).filter((file) => file.includes('@nestjs'))))",
    ]),
  );
  expect(loaded).toEqual([]);
});

it('import of llm-resilience loads no @nestjs module either', () => {
  const out = node([
    '--input-type=module',
    '-e',
    "import 'llm-resilience'; import { createRequire } from 'node:module';" +
      "const cache = createRequire(import.meta.url).cache; console.log(JSON.stringify(Object.keys(cache).filter((f) => f.includes('@nestjs'))))",
  ]);
  expect(JSON.parse(out)).toEqual([]);
});

it('llm-resilience/nestjs: require and import give one copy, sharing the settings of llm-resilience', () => {
  // Without decorator syntax: the module booted by hand, and a method decorated by hand.
  const out = node([
    '--input-type=module',
    '-e',
    `
    import 'reflect-metadata';
    import { createRequire } from 'node:module';
    import { Test } from '@nestjs/testing';
    import * as nest from 'llm-resilience/nestjs';
    import { Retry, configureResilience } from 'llm-resilience';
    const cjs = createRequire(import.meta.url)('llm-resilience/nestjs');
    configureResilience({ random: () => 0 });
    const lines = [];
    const logger = { error() {}, warn: (m) => lines.push(m), info() {}, debug() {} };
    const moduleRef = await Test.createTestingModule({ imports: [nest.ResilienceModule.forRoot({ defaults: { maxAttempts: 4 }, logger })] }).compile();
    let calls = 0;
    class Agent {}
    const desc = { value: async function run() { if (++calls < 4) throw new Error('flaky'); return 'ok'; }, writable: true, configurable: true };
    Object.defineProperty(Agent.prototype, 'run', Retry({ shouldRetry: () => true })(Agent.prototype, 'run', desc));
    const value = await new Agent().run();
    await moduleRef.close();
    console.log(JSON.stringify({
      names: Object.keys(nest).filter((k) => k !== 'default').sort(),
      same: nest.ResilienceModule === cjs.ResilienceModule,
      value, calls, warnings: lines.length,
    }));
    `,
  ]);
  expect(JSON.parse(out)).toEqual({
    names: [
      'InjectAgentConfig',
      'NestLoggerAdapter',
      'RESILIENCE_LOGGER_CONTEXT',
      'RESILIENCE_MODULE_OPTIONS',
      'ResilienceExceptionFilter',
      'ResilienceModule',
      'agentConfigToken',
    ],
    same: true,
    value: 'ok',
    calls: 4,
    warnings: 3,
  });
});
