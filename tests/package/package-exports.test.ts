import fs from 'node:fs';
import path from 'node:path';
import { node, ROOT } from '../support/node-process';
import { pathToFileURL } from 'node:url';

// Tests the BUILT package, as a user's `require` and `import` see it. `npm test` builds
// `dist/` before jest runs; running jest alone needs `npm run build` first.
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const CJS_ENTRY = path.join(ROOT, 'dist', 'cjs', 'index.js');
const ESM_ENTRY = path.join(ROOT, 'dist', 'esm', 'index.mjs');

const PUBLIC_NAMES = [
  'RetryConfig',
  'RetryConfigError',
  'computeBackoffDelay',
  'classifyError',
  'shouldRetryOpenAIError',
  'shouldRetryAzureError',
  'shouldRetryNetworkError',
  'Retry',
  'RetryOpenAI',
  'RetryAzure',
  'RetryNetwork',
  'createResiliencePipeline',
  'configureResilience',
  'resetResilience',
  'getRetryContext',
  'RetryTimeoutError',
  'redactSecrets',
];

/** Runs an ES module snippet in the repository root (so `llm-resilience` resolves to this package). */
const esm = (code: string) => node(['--input-type=module', '-e', code]);
/** Runs a CommonJS snippet in the repository root. */
const cjs = (code: string) => node(['-e', code]);

beforeAll(() => {
  const missing = [CJS_ENTRY, ESM_ENTRY].filter((file) => !fs.existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `dist/ is missing (${missing.map((f) => path.relative(ROOT, f)).join(', ')}): ` +
        'run `npm run build` before jest (`npm test` does it for you).',
    );
  }
});

/** Subpath -> [ESM entry name, CommonJS entry relative to dist/cjs, without extension]; mirrors scripts/build.js. */
const SUBPATHS: Record<string, [string, string]> = {
  '.': ['index', 'index'],
  './testing': ['testing', 'testing/index'],
  './nestjs': ['nestjs', 'integrations/nestjs/index'],
  './redis': ['redis', 'integrations/redis/index'],
};

describe('package.json entry points', () => {
  it('exports exactly the documented subpaths', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual([...Object.keys(SUBPATHS), './package.json'].sort());
  });

  // "import" gets ESM declarations (.d.mts) and "require" CommonJS ones (.d.ts), each listed
  // first ("types" must come before "default": TypeScript takes the first condition that matches).
  it.each(Object.entries(SUBPATHS))(
    '%s: import and require each have types first, then default',
    (subpath, [esm, cjs]) => {
      expect(pkg.exports[subpath]).toEqual({
        import: { types: `./dist/esm/${esm}.d.mts`, default: `./dist/esm/${esm}.mjs` },
        require: { types: `./dist/cjs/${cjs}.d.ts`, default: `./dist/cjs/${cjs}.js` },
      });
      for (const condition of ['import', 'require']) {
        expect(Object.keys(pkg.exports[subpath][condition])).toEqual(['types', 'default']);
      }
    },
  );

  const targets: [string, string][] = [
    ['main', pkg.main],
    ['types', pkg.types],
    ['exports["./package.json"]', pkg.exports?.['./package.json']],
    ['bin.llm-resilience-fault-server', pkg.bin?.['llm-resilience-fault-server']],
    ...Object.entries(pkg.exports as Record<string, unknown>).flatMap(([subpath, conditions]) =>
      typeof conditions === 'string'
        ? []
        : Object.entries(conditions as Record<string, Record<string, string>>).flatMap(([condition, files]) =>
            Object.entries(files).map(([kind, file]): [string, string] => [
              `exports["${subpath}"].${condition}.${kind}`,
              file,
            ]),
          ),
    ),
    ...Object.entries(pkg.typesVersions?.['*'] ?? {}).map(([name, files]): [string, string] => [
      `typesVersions["*"].${name}`,
      (files as string[])[0],
    ]),
  ];

  it.each(targets)('%s points at a file that exists (%s)', (_name, target) => {
    expect(typeof target).toBe('string');
    expect(target.startsWith('./')).toBe(true);
    expect(fs.existsSync(path.join(ROOT, target))).toBe(true);
  });

  it('main/types (for tools that ignore "exports") agree with the root require entry', () => {
    expect(pkg.main).toBe(pkg.exports['.'].require.default);
    expect(pkg.types).toBe(pkg.exports['.'].require.types);
    expect(pkg.main).toBe('./dist/cjs/index.js');
  });

  // TypeScript's node10 resolution ignores "exports": typesVersions maps each subpath to its types.
  it('typesVersions gives node10 TypeScript users the types of every subpath', () => {
    const mapped = Object.entries(SUBPATHS)
      .filter(([subpath]) => subpath !== '.')
      .map(([subpath]) => [subpath.slice(2), [pkg.exports[subpath].require.types]]);
    expect(pkg.typesVersions).toEqual({ '*': Object.fromEntries(mapped) });
  });

  it('is explicitly CommonJS ("type": "commonjs"), ships dist/ in "files"', () => {
    expect(pkg.type).toBe('commonjs');
    expect(pkg.files).toContain('dist');
  });

  it('the declaration file declares the public names', () => {
    const dts = fs.readFileSync(path.join(ROOT, pkg.types), 'utf8');
    for (const name of PUBLIC_NAMES) expect(dts).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it.each(Object.entries(SUBPATHS))(
    '%s: the ESM declarations re-export the CommonJS ones (one set of types)',
    (_subpath, [esm, cjs]) => {
      const dmts = fs.readFileSync(path.join(ROOT, 'dist', 'esm', `${esm}.d.mts`), 'utf8');
      expect(dmts).toContain(`export * from '../cjs/${cjs}.js';`);
      expect(dmts).toContain('export default cjs;');
    },
  );
});

describe('require and import', () => {
  /** What a CommonJS user sees (one child process). */
  let fromRequire: { resolved: string; names: string[]; viaRoot: string[]; undefinedNames: string[] };
  /** What an ES module user sees, compared with CommonJS inside the same process (one child process). */
  let fromImport: {
    resolved: string;
    names: string[];
    viaAbsolutePath: string[];
    undefinedNames: string[];
    sameClass: boolean;
    sameErrorClass: boolean;
    sameConfigure: boolean;
    defaultIsCjs: boolean;
    instanceofAcross: boolean;
    crossInstanceof: boolean;
    differing: string[];
    e2e: { value: string; calls: number; piped: string; pipelineCalls: number };
  };

  beforeAll(() => {
    // Resolved through the package's own name and "exports" (Node's self-reference), as a user would.
    fromRequire = JSON.parse(
      cjs(
        [
          "const m = require('llm-resilience');",
          'console.log(JSON.stringify({',
          "  resolved: require.resolve('llm-resilience'),",
          '  names: Object.keys(m).sort(),',
          '  viaRoot: Object.keys(require(process.cwd())).sort(),',
          '  undefinedNames: Object.keys(m).filter((k) => m[k] === undefined),',
          '}));',
        ].join('\n'),
      ),
    );
    fromImport = JSON.parse(
      esm(
        [
          "import * as m from 'llm-resilience';",
          `import * as abs from ${JSON.stringify(pathToFileURL(ESM_ENTRY).href)};`,
          "import esmDefault from 'llm-resilience';",
          "import { RetryConfig, RetryConfigError, configureResilience, Retry, createResiliencePipeline } from 'llm-resilience';",
          "import { createRequire } from 'node:module';",
          "const c = createRequire(process.cwd() + '/')('llm-resilience');",
          "const names = (ns) => Object.keys(ns).filter((k) => k !== 'default').sort();",
          'let crossInstanceof = false;',
          'try { new RetryConfig({ maxAttempts: 0 }); } catch (e) { crossInstanceof = e instanceof c.RetryConfigError; }',
          // End to end: a method decorated by hand (no decorator syntax in -e) is retried.
          'configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} }, random: () => 0 });',
          'let calls = 0;',
          "const desc = { value: async function run() { if (++calls < 3) throw new Error('flaky'); return 'ok'; }, writable: true, configurable: true };",
          'class Agent {}',
          "Object.defineProperty(Agent.prototype, 'run', Retry({ shouldRetry: () => true, maxAttempts: 3 })(Agent.prototype, 'run', desc));",
          'const value = await new Agent().run();',
          // The same without decorators: a pipeline.
          'let pipelineCalls = 0;',
          "const piped = await createResiliencePipeline({ name: 'esm', shouldRetry: () => true }).execute(async () => { if (++pipelineCalls < 2) throw new Error('flaky'); return 'piped'; });",
          'console.log(JSON.stringify({',
          "  resolved: import.meta.resolve('llm-resilience'),",
          '  names: names(m),',
          '  viaAbsolutePath: names(abs),',
          '  undefinedNames: names(m).filter((k) => m[k] === undefined),',
          '  sameClass: RetryConfig === c.RetryConfig,',
          '  sameErrorClass: RetryConfigError === c.RetryConfigError,',
          '  sameConfigure: configureResilience === c.configureResilience,',
          '  defaultIsCjs: esmDefault === c,',
          '  instanceofAcross: new RetryConfig() instanceof c.RetryConfig && new c.RetryConfig() instanceof RetryConfig,',
          '  crossInstanceof,',
          '  differing: Object.keys(c).filter((k) => m[k] !== c[k]),',
          '  e2e: { value, calls, piped, pipelineCalls },',
          '}));',
        ].join('\n'),
      ),
    );
  });

  it('resolve the package name to the dist entry points', () => {
    expect(fromRequire.resolved).toBe(CJS_ENTRY);
    expect(fromImport.resolved).toBe(pathToFileURL(ESM_ENTRY).href);
  });

  it('require(<package root>) loads the same as require(name)', () => {
    expect(fromRequire.viaRoot).toEqual(fromRequire.names);
  });

  it('import of the absolute ESM path gives the same names', () => {
    expect(fromImport.viaAbsolutePath).toEqual(fromImport.names);
  });

  it('expose the same names', () => {
    expect(fromImport.names).toEqual(fromRequire.names);
  });

  it.each(PUBLIC_NAMES)('both expose %s', (name) => {
    expect(fromRequire.names).toContain(name);
    expect(fromImport.names).toContain(name);
  });

  it('expose exactly what src/index.ts exports (dist is not stale)', () => {
    const source = Object.keys(require('../../src')).sort();
    expect(fromRequire.names).toEqual(source);
  });

  it('no named export is undefined in either format', () => {
    expect(fromRequire.undefinedNames).toEqual([]);
    expect(fromImport.undefinedNames).toEqual([]);
  });

  it('share one copy: the ESM RetryConfig IS the CJS RetryConfig, and so is every other export', () => {
    expect(fromImport).toMatchObject({
      sameClass: true,
      sameErrorClass: true,
      sameConfigure: true,
      defaultIsCjs: true,
      instanceofAcross: true,
      crossInstanceof: true,
      differing: [],
    });
  });

  it('the built package works end to end from ESM: a decorated method and a pipeline are retried', () => {
    expect(fromImport.e2e).toEqual({ value: 'ok', calls: 3, piped: 'piped', pipelineCalls: 2 });
  });
});

describe('llm-resilience/testing', () => {
  it('loads with require and import, and the two are one copy', () => {
    const out = esm(`
      import { createRequire } from 'node:module';
      import * as esmTesting from 'llm-resilience/testing';
      const cjsTesting = createRequire(import.meta.url)('llm-resilience/testing');
      const server = await esmTesting.startFaultServer({ script: ['503'] });
      const response = await fetch(server.openaiBaseURL + '/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await server.close();
      console.log(JSON.stringify({ same: esmTesting.startFaultServer === cjsTesting.startFaultServer, status: response.status }));
    `);
    expect(JSON.parse(out)).toEqual({ same: true, status: 503 });
  });

  it('ships the CLI as an executable script', () => {
    const cli = path.join(ROOT, pkg.bin['llm-resilience-fault-server']);
    expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(node([cli, '--help'])).toMatch(/^Usage: llm-resilience-fault-server/);
  });
});
