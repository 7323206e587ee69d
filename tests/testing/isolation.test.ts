import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `llm-resilience/testing` is its own entry point: it must not pull in the library (a
 * second copy of its module state) nor `openai` (an optional peer) at run time.
 */
test('src/testing imports only node: built-ins and its own files', () => {
  const dir = path.resolve(__dirname, '../../src/testing');
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const specifiers = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"]([^'"]+)['"]/g)].map(
      (match) => match[1],
    );
    for (const specifier of specifiers) {
      expect({ file, specifier, ok: specifier.startsWith('node:') || /^\.\/[a-z0-9-]+$/.test(specifier) }).toEqual({
        file,
        specifier,
        ok: true,
      });
    }
  }
});
