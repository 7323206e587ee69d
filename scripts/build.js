#!/usr/bin/env node
// Builds one CommonJS copy of the library (dist/cjs) and thin ESM entry points that
// re-export it, so `import` and `require` share one copy of every class and of the
// process-wide settings (no dual-package hazard).
//
// Each ESM entry point gets its own declaration file (.d.mts) that re-exports the CommonJS
// declarations: TypeScript (node16/nodenext) then types an `import` as ESM and a `require`
// as CommonJS, and both see the same class declarations, as they see the same classes at run time.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

// Entry points: ESM file name -> CommonJS file (relative to dist/cjs). Keep in step with
// package.json "exports" and "typesVersions" (tests/package/package-exports.test.ts checks).
const entries = {
  index: 'index.js',
  testing: 'testing/index.js',
  nestjs: 'integrations/nestjs/index.js',
  redis: 'integrations/redis/index.js',
};
fs.mkdirSync(path.join(dist, 'esm'), { recursive: true });
for (const [name, file] of Object.entries(entries)) {
  const cjsPath = path.join(dist, 'cjs', file);
  const names = Object.keys(require(cjsPath)).filter((key) => key !== 'default' && key !== '__esModule');
  const code = [
    `import cjs from '../cjs/${file}';`,
    `export const { ${names.join(', ')} } = cjs;`,
    'export default cjs;',
    '',
  ];
  fs.writeFileSync(path.join(dist, 'esm', `${name}.mjs`), code.join('\n'));
  // `import * as`, not a default import: it needs no esModuleInterop in the consumer's settings.
  const types = [
    `import * as cjs from '../cjs/${file}';`,
    `export * from '../cjs/${file}';`,
    'export default cjs;',
    '',
  ];
  fs.writeFileSync(path.join(dist, 'esm', `${name}.d.mts`), types.join('\n'));
}
console.log(`built dist/cjs and ${Object.keys(entries).length} ESM entry point(s)`);
