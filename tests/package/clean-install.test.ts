import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/node-process';
import {
  OPTIONAL_PEERS,
  installTarball,
  makeTempDir,
  packTarball,
  removeTempDir,
  runNode,
  runNodeJson,
} from './packed-package';
import { typeCheck } from './type-check';
import ts from 'typescript';

// The packed tarball installed into an empty project outside the repository, with none of
// the optional peers: what a user gets from `npm install llm-resilience`. Needs dist/
// (`npm test` builds it first).
const REPO_NODE_MODULES = path.join(ROOT, 'node_modules');

let temp: string;
let app: string;
let installedBy: 'npm' | 'copied';

const cjs = (code: string, nodePath?: string[]) => runNodeJson(app, ['-e', code], nodePath);
const esm = (code: string, nodePath?: string[]) => runNodeJson(app, ['--input-type=module', '-e', code], nodePath);

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before jest (`npm test` does it for you).');
  }
  temp = makeTempDir('clean-install');
  app = path.join(temp, 'app');
  installedBy = installTarball(packTarball(temp), app);
}, 90_000);

afterAll(() => removeTempDir(temp));

describe('a clean install of the packed tarball', () => {
  it('has the package and its dependencies, and none of the optional peers', () => {
    const found = cjs(`
      const resolves = (name) => { try { return require.resolve(name); } catch { return null; } };
      console.log(JSON.stringify({
        self: require.resolve('llm-resilience'),
        winston: resolves('winston') !== null,
        peers: ${JSON.stringify(OPTIONAL_PEERS)}.filter((peer) => resolves(peer) !== null),
      }));
    `);
    expect(['npm', 'copied']).toContain(installedBy);
    expect(found).toEqual({
      self: fs.realpathSync(path.join(app, 'node_modules', 'llm-resilience', 'dist', 'cjs', 'index.js')),
      winston: true,
      peers: [],
    });
  });

  it('ships dist/, LICENSE, package.json and what README.md links to; no tests or TypeScript build info', () => {
    const shipped = fs.readdirSync(path.join(app, 'node_modules', 'llm-resilience')).sort();
    expect(shipped).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'bench',
      'dist',
      'docs',
      'examples',
      'package.json',
      'src',
    ]);
    // src/: only the file README links to (the defaults); docs/: the Markdown pages, not docs/api.
    expect(fs.readdirSync(path.join(app, 'node_modules', 'llm-resilience', 'src'), { recursive: true }).sort()).toEqual(
      ['config', path.join('config', 'defaults.ts')],
    );
  });
});

describe('the root entry point with no optional peer installed', () => {
  it('loads with require and works: config, classification, a decorated method retried', () => {
    const out = cjs(`
      const m = require('llm-resilience');
      m.configureResilience({ logger: { error() {}, warn() {}, info() {}, debug() {} }, random: () => 0 });
      let calls = 0;
      const desc = { value: async function run() { if (++calls < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' }); return 'ok'; }, writable: true, configurable: true };
      class Agent {}
      Object.defineProperty(Agent.prototype, 'run', m.RetryNetwork({ maxAttempts: 3 })(Agent.prototype, 'run', desc));
      new Agent().run().then((value) => console.log(JSON.stringify({
        value, calls,
        config: new m.RetryConfig({ maxAttempts: 4 }).maxAttempts,
        kind: m.classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).kind,
        agent: new m.AgentConfig({ provider: 'openai', model: 'gpt-4o-mini' }).model,
      })));
    `);
    expect(out).toEqual({ value: 'ok', calls: 3, config: 4, kind: 'network', agent: 'gpt-4o-mini' });
  });

  it('loads with import, with the same names as require', () => {
    const out = esm(`
      import * as m from 'llm-resilience';
      import { createRequire } from 'node:module';
      const c = createRequire(import.meta.url)('llm-resilience');
      console.log(JSON.stringify({
        esm: Object.keys(m).filter((k) => k !== 'default').sort(),
        cjs: Object.keys(c).sort(),
      }));
    `);
    expect(out.esm.length).toBeGreaterThan(10);
    expect(out.esm).toEqual(out.cjs);
  });

  it('import and require share one copy: the same classes, and settings made through import rule code loaded by require', () => {
    const out = esm(`
      import { RetryConfig, RetryConfigError, AgentConfig, configureResilience, resetResilience } from 'llm-resilience';
      import esmDefault from 'llm-resilience';
      import { createRequire } from 'node:module';
      const c = createRequire(import.meta.url)('llm-resilience');
      const warnings = [];
      // Configured through import ...
      configureResilience({
        logger: { error() {}, warn: (message) => warnings.push(String(message)), info() {}, debug() {} },
        random: () => 0,
        configs: { twice: { maxAttempts: 2 } },
      });
      // ... used by a method decorated through require.
      let calls = 0;
      const desc = { value: async function run() { calls++; throw new Error('down'); }, writable: true, configurable: true };
      class Agent {}
      Object.defineProperty(Agent.prototype, 'run', c.Retry({ shouldRetry: () => true, configName: 'twice' })(Agent.prototype, 'run', desc));
      const failure = await new Agent().run().catch((error) => error.message);
      let crossInstanceof = false;
      try { new RetryConfig({ maxAttempts: 0 }); } catch (error) { crossInstanceof = error instanceof c.RetryConfigError; }
      const missing = c.missingConfigNames();
      resetResilience();
      console.log(JSON.stringify({
        sameClasses: RetryConfig === c.RetryConfig && RetryConfigError === c.RetryConfigError && AgentConfig === c.AgentConfig,
        defaultIsCjs: esmDefault === c,
        crossInstanceof,
        failure, calls, warned: warnings.length, missing,
        resetSeenByRequire: c.missingConfigNames().map((use) => use.name),
      }));
    `);
    expect(out).toEqual({
      sameClasses: true,
      defaultIsCjs: true,
      crossInstanceof: true,
      failure: 'down',
      calls: 2,
      warned: 1,
      missing: [],
      // resetResilience() through import forgot the named configs for require's code too.
      resetSeenByRequire: ['twice'],
    });
  });

  it('fails only when an LLM client is created, naming the missing openai peer', () => {
    const out = cjs(`
      const m = require('llm-resilience');
      let message = null;
      try { new m.LLMServiceFactory().createClient({ provider: 'openai', model: 'gpt-4o-mini', apiKey: 'k' }); }
      catch (error) { message = error.message; }
      console.log(JSON.stringify({ message }));
    `);
    expect(out.message).toMatch(/openai/);
  });
});

describe('subpaths', () => {
  it('llm-resilience/testing needs no peer: require and import give one copy, and the server runs', () => {
    const out = esm(`
      import * as testing from 'llm-resilience/testing';
      import { createRequire } from 'node:module';
      const c = createRequire(import.meta.url)('llm-resilience/testing');
      const server = await testing.startFaultServer({ script: ['503'] });
      const response = await fetch(server.openaiBaseURL + '/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await server.close();
      console.log(JSON.stringify({ same: testing.startFaultServer === c.startFaultServer, status: response.status }));
    `);
    expect(out).toEqual({ same: true, status: 503 });
  });

  it('llm-resilience/redis loads without ioredis (the caller passes the client)', () => {
    const out = esm(`
      import { createRedisStateStore } from 'llm-resilience/redis';
      import { createRequire } from 'node:module';
      const c = createRequire(import.meta.url)('llm-resilience/redis');
      console.log(JSON.stringify({ same: createRedisStateStore === c.createRedisStateStore, type: typeof createRedisStateStore }));
    `);
    expect(out).toEqual({ same: true, type: 'function' });
  });

  it('llm-resilience/nestjs without @nestjs/*: require and import fail with a message naming the missing peers', () => {
    for (const args of [
      ['-e', "require('llm-resilience/nestjs')"],
      ['--input-type=module', '-e', "await import('llm-resilience/nestjs')"],
    ]) {
      const run = runNode(app, args);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain(
        'llm-resilience/nestjs needs the optional peer dependencies @nestjs/common and @nestjs/core (10, 11 or 12); ' +
          'not installed: @nestjs/common, @nestjs/core. Run: npm install @nestjs/common @nestjs/core',
      );
    }
  });

  it('llm-resilience/nestjs with only @nestjs/common: names @nestjs/core', () => {
    const peers = path.join(temp, 'only-common', 'node_modules');
    fs.mkdirSync(path.join(peers, '@nestjs'), { recursive: true });
    fs.symlinkSync(path.join(REPO_NODE_MODULES, '@nestjs', 'common'), path.join(peers, '@nestjs', 'common'), 'dir');
    const run = runNode(app, ['-e', "require('llm-resilience/nestjs')"], [peers]);
    expect(run.stderr).toContain('not installed: @nestjs/core. Run:');
  });

  it('with the peers present, every subpath loads with require and import, one copy each', () => {
    const out = esm(
      `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const result = {};
      for (const subpath of ['llm-resilience', 'llm-resilience/testing', 'llm-resilience/nestjs', 'llm-resilience/redis']) {
        const imported = await import(subpath);
        const required = require(subpath);
        const names = Object.keys(required);
        result[subpath] = { names: names.length, same: names.every((name) => imported[name] === required[name]) };
      }
      result.forRoot = typeof (await import('llm-resilience/nestjs')).ResilienceModule.forRoot;
      console.log(JSON.stringify(result));
    `,
      [REPO_NODE_MODULES],
    );
    expect(out.forRoot).toBe('function');
    for (const subpath of [
      'llm-resilience',
      'llm-resilience/testing',
      'llm-resilience/nestjs',
      'llm-resilience/redis',
    ]) {
      expect(out[subpath].same).toBe(true);
      expect(out[subpath].names).toBeGreaterThan(0);
    }
  });
});

describe('a TypeScript consumer of the root with no optional peer installed', () => {
  const settings: [string, string, ts.CompilerOptions][] = [
    ['node10', 'root-only.ts', { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
    [
      'nodenext, CommonJS',
      'root-only.ts',
      { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
    ],
    [
      'nodenext, ESM',
      'root-only.mts',
      { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
    ],
  ];
  const checks = new Map<string, ReturnType<typeof typeCheck>>();
  const declarationsDir = () => path.join(app, 'node_modules', 'llm-resilience', 'dist');

  beforeAll(() => {
    for (const [name, file, moduleOptions] of settings) {
      const consumer = path.join(app, file);
      fs.copyFileSync(path.join(__dirname, 'consumer', 'root-only.ts'), consumer);
      checks.set(
        name,
        typeCheck(
          [consumer],
          {
            ...moduleOptions,
            target: ts.ScriptTarget.ES2022,
            strict: true,
            noEmit: true,
            experimentalDecorators: true,
            lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
            types: ['node'],
            typeRoots: [path.join(REPO_NODE_MODULES, '@types')],
          },
          declarationsDir(),
        ),
      );
    }
  }, 60_000);

  it.each(settings.map(([name]) => name))(
    '%s: the consumer compiles, decorators and all, against the declarations for its format',
    (name) => {
      expect(checks.get(name)!.consumer).toEqual([]);
      expect(checks.get(name)!.used).toContain(name === 'nodenext, ESM' ? 'esm/index.d.mts' : 'cjs/index.d.ts');
    },
  );

  it.each(settings.map(([name]) => name))(
    '%s: without skipLibCheck, our declarations fail only for want of openai types (known gap, pinned)',
    (name) => {
      // The root's declarations import types from openai (the LLM services' signatures), so a
      // consumer without openai compiles only with skipLibCheck (the default of `tsc --init` and
      // Nest's starter) — these are the errors it would see without. Without esModuleInterop
      // (node10, module commonjs), winston's default import in two declaration files fails too.
      // When either is fixed, shrink this list.
      const errors = checks
        .get(name)!
        .declarations.map((line) => line.replace(/\(\d+,\d+\)/, '').replace(/: error (TS\d+).*/, ' $1'));
      const openai = [
        'cjs/llm/agent-orchestrator.d.ts TS2307',
        'cjs/llm/llm-executor.d.ts TS2307',
        'cjs/llm/llm-service-factory.d.ts TS2307',
        // chat completions, embeddings and responses types
        'cjs/llm/resilient-llm-service.d.ts TS2307',
        'cjs/llm/resilient-llm-service.d.ts TS2307',
        'cjs/llm/resilient-llm-service.d.ts TS2307',
        // the same three, in the Responses API and embeddings request types
        'cjs/llm/responses-api.d.ts TS2307',
        'cjs/llm/responses-api.d.ts TS2307',
        'cjs/llm/responses-api.d.ts TS2307',
      ];
      const winston = ['cjs/observability/default-logger.d.ts TS1259', 'cjs/observability/redact-secrets.d.ts TS1259'];
      expect(errors.sort()).toEqual(name === 'node10' ? [...openai, ...winston].sort() : openai);
    },
  );
});
