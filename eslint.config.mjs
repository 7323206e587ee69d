// ESLint (flat config) with typescript-eslint; formatting is Prettier's (`npm run format`),
// so eslint-config-prettier turns off every rule that would disagree with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // tests/package/consumer compiles against the built package, with tsconfigs of its own.
    ignores: [
      'dist/**',
      'build/**',
      'coverage/**',
      'docs/api/**',
      'reports/**',
      '.stryker-tmp/**',
      'node_modules/**',
      '**/*.d.ts',
      'tests/package/consumer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Promises: a forgotten await loses errors and ordering, the bugs a retry library must not have.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Rethrowing what a caller's code threw, or an AbortSignal's reason, is not ours to wrap.
      // (AbortSignal.reason is typed any.) The engine's FinalOutcome is control flow that never escapes it.
      '@typescript-eslint/only-throw-error': [
        'error',
        {
          allowThrowingUnknown: true,
          allowThrowingAny: true,
          allow: [
            // Control flow of the retry loop, never seen by callers.
            { from: 'file', name: 'FinalOutcome', path: 'src/strategies/timeout/attempt-guard.ts' },
            { from: 'file', name: 'StageRejection', path: 'src/strategies/stage.ts' },
          ],
        },
      ],
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingUnknown: true, allowThrowingAny: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests reach into shapes on purpose (malformed inputs, SDK internals), throw values that
    // are not errors to see the engine cope, check `arguments`, and load modules in isolation.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      'prefer-rest-params': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  prettier,
);
