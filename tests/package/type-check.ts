import path from 'node:path';
import ts from 'typescript';

// Type-checks a consumer program against the package's declarations with the TypeScript API:
// strict diagnostics for the consumer's files and for ours, none for the dependencies' own
// .d.ts files (checking those takes ~25 s a program and tests them, not us). Only what our
// files need from a dependency is resolved and checked.

export interface TypeCheckResult {
  /** Errors in the consumer's own files, and option or global errors. */
  consumer: string[];
  /** Errors in our declaration files (under `packageDir`). */
  declarations: string[];
  /** Our declaration files the program used, relative to `packageDir`. */
  used: string[];
}

// Programs of one test file read the same ~700 declaration files (@types/node, Nest, openai,
// ioredis): each is parsed once per module settings and shared between programs that differ
// only in, say, decorator mode (as the language service's document registry shares them).
const parsedFiles = new Map<string, ts.SourceFile | undefined>();

function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    const format =
      typeof languageVersionOrOptions === 'object'
        ? languageVersionOrOptions
        : { languageVersion: languageVersionOrOptions };
    const key = [
      fileName,
      options.module,
      options.moduleResolution,
      format.languageVersion,
      format.impliedNodeFormat,
    ].join('|');
    if (shouldCreateNewSourceFile || !parsedFiles.has(key)) {
      parsedFiles.set(key, getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile));
    }
    return parsedFiles.get(key);
  };
  return host;
}

/** Reads a tsconfig.json (throws on an unreadable one). */
export function readTsconfig(file: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(file, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${file}`);
  return parsed;
}

export function typeCheck(
  rootNames: readonly string[],
  options: ts.CompilerOptions,
  packageDir: string,
  configErrors: readonly ts.Diagnostic[] = [],
): TypeCheckResult {
  const inPackage = (file: string) => path.resolve(file).startsWith(path.resolve(packageDir) + path.sep);
  const consumerFiles = new Set(rootNames.map((file) => path.resolve(file)));
  const program = ts.createProgram({ rootNames, options, host: cachingHost(options) });
  const fileDiagnostics = (file: ts.SourceFile) => [
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  const ours = program.getSourceFiles().filter((file) => inPackage(file.fileName));
  const consumer = program.getSourceFiles().filter((file) => consumerFiles.has(path.resolve(file.fileName)));
  const format = (diagnostics: readonly ts.Diagnostic[]) =>
    diagnostics.map((diagnostic) =>
      ts
        .formatDiagnostic(diagnostic, {
          getCanonicalFileName: (name) => name,
          getCurrentDirectory: () => packageDir,
          getNewLine: () => '\n',
        })
        .trim(),
    );
  return {
    consumer: format([
      ...configErrors,
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...consumer.flatMap(fileDiagnostics),
    ]),
    declarations: format(ours.flatMap(fileDiagnostics)),
    used: ours.map((file) => path.relative(packageDir, path.resolve(file.fileName))),
  };
}
