// Lets a child Node process load the TypeScript sources directly (`node -r
// ./tests/support/require-typescript.js worker.ts`), so multi-process tests run the code
// under test, not a build that may be stale. Transpile only (the type check is `npm run
// typecheck`), with the repository's compiler options (legacy decorators, as NestJS uses).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..', '..');
const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
const compilerOptions = {
  ...parsed.options,
  module: ts.ModuleKind.CommonJS,
  noEmit: false,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: false,
  declaration: false,
  declarationMap: false,
};

// Transpiling every source file costs seconds per process: the output is cached on disk by
// content (the compiler's version and options, the file's path and text), so only the
// first process after a change pays for it.
const cacheDir = path.join(os.tmpdir(), `llm-resilience-ts-cache-${ts.version}`);
const optionsHash = crypto.createHash('sha1').update(JSON.stringify(compilerOptions)).digest('hex');
fs.mkdirSync(cacheDir, { recursive: true });

function transpile(source, filename) {
  const hash = crypto.createHash('sha1').update(optionsHash).update(filename).update(source).digest('hex');
  const cached = path.join(cacheDir, `${hash}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
    const temporary = `${cached}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, outputText);
      fs.renameSync(temporary, cached); // atomic: a concurrent reader sees all of it or nothing
    } catch {
      // A cache that cannot be written only costs time.
    }
    return outputText;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
