// Two projects run the decorator suite in both decorator modes: TypeScript's
// legacy `experimentalDecorators` (what NestJS uses) and TC39 standard decorators.
// Type-checking is done by `npm run typecheck`; ts-jest only transpiles (isolatedModules in tsconfig).
const transformWith = (tsconfig) => ({
  '^.+\\.ts$': ['ts-jest', { tsconfig, diagnostics: false }],
});

const common = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Stryker's sandboxes (npm run test:mutation) are copies of the repo: not modules of this one.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/', '<rootDir>/reports/'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'legacy-decorators',
      globals: { DECORATOR_MODE: 'legacy' },
      testMatch: ['<rootDir>/tests/**/*.test.ts'],
      transform: transformWith('<rootDir>/tsconfig.json'),
    },
    {
      ...common,
      displayName: 'standard-decorators',
      globals: { DECORATOR_MODE: 'standard' },
      testMatch: ['<rootDir>/tests/decorators/**/*.test.ts'],
      transform: transformWith('<rootDir>/tsconfig.standard.json'),
    },
  ],
};
