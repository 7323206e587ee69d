import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * `llm-resilience/testing` is its own entry point: it must not pull in the library (a
 * second copy of its module state) nor `openai` (an optional peer) at run time. The
 * specifiers are read by TypeScript's own pre-processor: imports, requires and dynamic
 * imports in code, not the examples in doc comments.
 */
test('src/testing imports only node: built-ins and its own files', () => {
  const dir = path.resolve(__dirname, '../../src/testing');
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(5);
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
    for (const specifier of specifiers) {
      expect({ file, specifier, ok: specifier.startsWith('node:') || /^\.\/[a-z0-9-]+$/.test(specifier) }).toEqual({
        file,
        specifier,
        ok: true,
      });
    }
  }
});

test('the check sees imports in code and not in comments', () => {
  const read = (text: string) => ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
  expect(read("import x from 'openai';\nconst y = require('../src');\nvoid import('./z');")).toEqual([
    'openai',
    '../src',
    './z',
  ]);
  expect(read("/**\n * import OpenAI from 'openai';\n */\nexport const a = 1;")).toEqual([]);
});
