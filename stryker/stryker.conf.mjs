// Stryker configuration for one mutation-testing group, chosen by MUTATION_GROUP (see groups.mjs).
// Run through `npm run test:mutation` (stryker/run.mjs), which sets it for every group in turn.
import { writeFileSync } from 'node:fs';
import { GROUPS } from './groups.mjs';

const groupName = process.env.MUTATION_GROUP ?? 'classification';
const group = GROUPS[groupName];
if (!group) {
  throw new Error(`Unknown MUTATION_GROUP '${groupName}'; one of: ${Object.keys(GROUPS).join(', ')}`);
}
const reportDir = `reports/mutation/${groupName}`;

// The checker compiles only the group's files and what they import: a mutant is type-checked in a
// program of a few dozen files instead of the whole library (the checker is the slower half of a run).
const tsconfigFile = `stryker/tsconfig.${groupName}.generated.json`;
const include = group.mutate.filter((glob) => !glob.startsWith('!')).map((glob) => `../${glob}`);
writeFileSync(tsconfigFile, `${JSON.stringify({ extends: './tsconfig.json', include }, null, 2)}\n`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  checkers: ['typescript'],
  tsconfigFile,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // 2 cores: one test-runner process, the checker in another.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  mutate: group.mutate,
  jest: {
    projectType: 'custom',
    configFile: 'stryker/jest.config.cjs',
    config: {
      testMatch: group.tests.map((glob) => `<rootDir>/${glob}`),
      // MUTATION_IGNORE_TESTS=a,b: leave out test files whose path matches (e.g. to measure what they add).
      testPathIgnorePatterns: ['/node_modules/', ...(process.env.MUTATION_IGNORE_TESTS?.split(',') ?? [])],
    },
    enableFindRelatedTests: false,
  },
  ignorePatterns: ['dist', 'build', 'coverage', 'docs', 'bench', 'examples', 'reports', '.ci'],
  incremental: process.env.MUTATION_INCREMENTAL === '1',
  incrementalFile: `${reportDir}/stryker-incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${reportDir}/index.html` },
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  timeoutMS: 10000,
  timeoutFactor: 2,
};
