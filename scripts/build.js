#!/usr/bin/env node
// Builds one CommonJS copy of the library (dist/cjs) and thin ESM entry points that
// re-export it, so `import` and `require` share one copy of every class and of the
// process-wide settings (no dual-package hazard).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

// Entry points: subpath -> CommonJS file (relative to dist/cjs). Keep in step with package.json "exports".
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
  const lines = [
    `import cjs from '../cjs/${file}';`,
    `export const { ${names.join(', ')} } = cjs;`,
    'export default cjs;',
    '',
  ];
  fs.writeFileSync(path.join(dist, 'esm', `${name}.mjs`), lines.join('\n'));
}
console.log(`built dist/cjs and ${Object.keys(entries).length} ESM entry point(s)`);
