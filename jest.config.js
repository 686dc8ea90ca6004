/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // examples/: the README's test-kit example runs as the jest test it shows; example-app/: its
  // own route tests, written with the kit as a user would write them.
  roots: ['<rootDir>/test', '<rootDir>/examples', '<rootDir>/example-app'],
  testMatch: ['**/*.test.ts', '**/example-app/**/*.test.js'],
  // jose 6 is ESM-only: let swc turn it (and our TypeScript) into CommonJS for jest.
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 20000,
  // After every test: no secret in any error, event or CLI output the test produced (test/helpers/secret-scan.ts).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/secret-scan-setup.ts'],
  // A SoftHSM2 token for the HSM suite, in the environment every worker inherits.
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  collectCoverageFrom: ['src/**/*.ts'],
  // `npm test` runs with --coverage: the framework-neutral core must stay tested as a core.
  coverageThreshold: { './src/core/': { lines: 95, branches: 90 } },
  coverageReporters: ['text-summary'],
  // The run ends by naming the suites skipped for want of redis-server or softhsm2 (describeWith).
  reporters: ['default', '<rootDir>/test/helpers/skipped-suites-reporter.js'],
};
