import { drainSecretScan } from './secret-scan';

// Every test: no error message, event, challenge or CLI output of a bad-input case carried a secret.
afterEach(() => {
  expect(drainSecretScan().leaks).toEqual([]);
});
