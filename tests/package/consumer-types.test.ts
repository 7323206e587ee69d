import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/node-process';
import { readTsconfig, typeCheck, type TypeCheckResult } from './type-check';

// Type-checks the consumers in tests/package/consumer/ against the BUILT declarations
// (dist/), resolved by package name through "exports", as a user's compiler sees them:
// nodenext from an ES module and from CommonJS (both decorator modes), and bundler.
// Strict, and our .d.ts files are checked too (as with skipLibCheck: false): every error in
// dist/ or in the consumer fails the test.
const CONSUMER = path.join(__dirname, 'consumer');
const DIST = path.join(ROOT, 'dist');

function check(tsconfig: string): TypeCheckResult {
  const parsed = readTsconfig(path.join(CONSUMER, tsconfig));
  return typeCheck(parsed.fileNames, parsed.options, DIST, parsed.errors);
}

beforeAll(() => {
  if (!fs.existsSync(path.join(DIST, 'esm', 'index.d.mts'))) {
    throw new Error('dist/ is missing: run `npm run build` before jest (`npm test` does it for you).');
  }
});

const ENTRY_DECLARATIONS = {
  esm: ['esm/index.d.mts', 'esm/testing.d.mts', 'esm/nestjs.d.mts', 'esm/redis.d.mts'],
  cjs: [
    'cjs/index.d.ts',
    'cjs/testing/index.d.ts',
    'cjs/integrations/nestjs/index.d.ts',
    'cjs/integrations/redis/index.d.ts',
  ],
};

describe.each([
  [
    'tsconfig.nodenext.json',
    'nodenext, experimentalDecorators',
    [...ENTRY_DECLARATIONS.esm, ...ENTRY_DECLARATIONS.cjs],
  ],
  [
    'tsconfig.nodenext-standard.json',
    'nodenext, standard decorators',
    [...ENTRY_DECLARATIONS.esm, ...ENTRY_DECLARATIONS.cjs],
  ],
  ['tsconfig.bundler.json', 'bundler', ENTRY_DECLARATIONS.esm],
])('%s (%s)', (tsconfig, _description, entryDeclarations) => {
  let checked: TypeCheckResult;
  beforeAll(() => {
    checked = check(tsconfig);
  }, 60_000);

  it('compiles with no error in the consumer or in our declarations', () => {
    expect(checked.consumer).toEqual([]);
    expect(checked.declarations).toEqual([]);
  });

  it('resolved every entry point to the declarations "exports" names', () => {
    expect(checked.used).toEqual(expect.arrayContaining(entryDeclarations));
  });
});
