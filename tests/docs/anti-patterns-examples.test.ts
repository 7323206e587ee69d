import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

// The "do this instead" examples of docs/anti-patterns.md must compile against the library's
// real API: each ```ts block (except those marked ✗) is type-checked as its own module, with
// `llm-resilience` mapped to src/index.ts.

const root = path.join(__dirname, '..', '..');
const page = fs.readFileSync(path.join(root, 'docs', 'anti-patterns.md'), 'utf8');

function examples(markdown: string): string[] {
  const blocks: string[] = [];
  for (const match of markdown.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)) {
    const indent = match[1].length;
    const body = match[2]
      .split('\n')
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    if (body.includes('✗') || !/\bimport\b/.test(body)) continue;
    blocks.push(body);
  }
  return blocks;
}

test('every recommended example of docs/anti-patterns.md type-checks', () => {
  const blocks = examples(page);
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  const dir = path.join(root, 'docs', '.examples');
  const files = new Map(
    blocks.map((body, index) => {
      const prelude =
        /\bOpenAI\b/.test(body) && !body.includes("from 'openai'") ? "import OpenAI from 'openai';\n" : '';
      return [path.join(dir, `example-${index + 1}.ts`), `${prelude}${body}\nexport {};\n`];
    }),
  );
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    baseUrl: root,
    paths: { 'llm-resilience': ['src/index.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (file) => files.has(file) || ts.sys.fileExists(file);
  host.readFile = (file) => files.get(file) ?? readFile(file);
  host.getSourceFile = (file, language, onError) => {
    const text = files.get(file);
    return text === undefined ? getSourceFile(file, language, onError) : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName))
    .map((diagnostic) => {
      const where = diagnostic.file
        ? `${path.basename(diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
  if (problems.length > 0) {
    throw new Error(
      `docs/anti-patterns.md examples do not compile:\n${problems.join('\n')}\n\n${[...files.values()].join('\n----\n')}`,
    );
  }
}, 120_000);
