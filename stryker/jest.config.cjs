// The jest configuration Stryker runs a group's tests with: the repo's legacy-decorator
// project (jest.config.js), transpile-only ts-jest. testMatch comes from stryker.conf.mjs.
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globals: { DECORATOR_MODE: 'legacy' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }] },
};
