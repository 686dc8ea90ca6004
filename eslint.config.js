// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'docs/',
      '.examples-build/',
      'example-app/data/',
      'example-app/certs/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        Buffer: 'readonly',
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly', console: 'readonly', fetch: 'readonly' } },
  },
  {
    files: ['**/*.test.js'],
    languageOptions: {
      globals: { test: 'readonly', expect: 'readonly', beforeAll: 'readonly', afterAll: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'soak/**', 'example-app/**', 'examples/**'],
    rules: { 'no-console': 'off' },
  },
  // The soak is a Node script: its globals.
  { files: ['soak/**'], languageOptions: { globals: { clearTimeout: 'readonly', AbortSignal: 'readonly' } } },
);
