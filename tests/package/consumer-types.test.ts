import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../support/node-process';

// Type-checks the consumers in tests/package/consumer/ against the BUILT declarations
// (dist/), resolved by package name through "exports", as a user's compiler sees them:
// nodenext from an ES module and from CommonJS (both decorator modes), and bundler.
// Strict, without skipLibCheck for our files: every diagnostic in dist/ or in the consumer
// fails the test. Dependencies' own .d.ts files are not checked (that would take ~25 s a
// config and test them, not us): only what our files need from them is resolved.
const CONSUMER = path.join(__dirname, 'consumer');
const DIST = path.join(ROOT, 'dist') + path.sep;

interface Checked {
  diagnostics: string[];
  /** Our declaration files the program used, relative to dist/. */
  declarations: string[];
}

// The configs read the same ~700 declaration files (@types/node, Nest, openai, ioredis): each
// is parsed once per module settings and shared between configs that differ only in decorator
// mode (as the language service's document registry shares them).
const parsedFiles = new Map<string, ts.SourceFile | undefined>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    const format = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = [fileName, options.module, options.moduleResolution, format.languageVersion, format.impliedNodeFormat].join('|');
    if (shouldCreateNewSourceFile || !parsedFiles.has(key)) {
      parsedFiles.set(key, getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile));
    }
    return parsedFiles.get(key);
  };
  return host;
}

function check(tsconfig: string): Checked {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(CONSUMER, tsconfig), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${tsconfig}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host: cachingHost(parsed.options) });
  const ours = program
    .getSourceFiles()
    .filter((file) => path.resolve(file.fileName).startsWith(DIST) || path.resolve(file.fileName).startsWith(CONSUMER));
  const diagnostics = [
    ...parsed.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...ours.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  const host = { getCanonicalFileName: (name: string) => name, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  return {
    diagnostics: diagnostics.map((diagnostic) => ts.formatDiagnostic(diagnostic, host).trim()),
    declarations: ours
      .map((file) => path.resolve(file.fileName))
      .filter((file) => file.startsWith(DIST))
      .map((file) => path.relative(DIST, file)),
  };
}

beforeAll(() => {
  if (!fs.existsSync(path.join(DIST, 'esm', 'index.d.mts'))) {
    throw new Error('dist/ is missing: run `npm run build` before jest (`npm test` does it for you).');
  }
});

const ENTRY_DECLARATIONS = {
  esm: ['esm/index.d.mts', 'esm/testing.d.mts', 'esm/nestjs.d.mts', 'esm/redis.d.mts'],
  cjs: ['cjs/index.d.ts', 'cjs/testing/index.d.ts', 'cjs/integrations/nestjs/index.d.ts', 'cjs/integrations/redis/index.d.ts'],
};

describe.each([
  ['tsconfig.nodenext.json', 'nodenext, experimentalDecorators', [...ENTRY_DECLARATIONS.esm, ...ENTRY_DECLARATIONS.cjs]],
  ['tsconfig.nodenext-standard.json', 'nodenext, standard decorators', [...ENTRY_DECLARATIONS.esm, ...ENTRY_DECLARATIONS.cjs]],
  ['tsconfig.bundler.json', 'bundler', ENTRY_DECLARATIONS.esm],
])('%s (%s)', (tsconfig, _description, entryDeclarations) => {
  let checked: Checked;
  beforeAll(() => {
    checked = check(tsconfig);
  }, 60_000);

  it('compiles with no error in the consumer or in our declarations', () => {
    expect(checked.diagnostics).toEqual([]);
  });

  it('resolved every entry point to the declarations "exports" names', () => {
    expect(checked.declarations).toEqual(expect.arrayContaining(entryDeclarations));
  });
});
