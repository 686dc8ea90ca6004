import { prepareTestToken } from './softhsm';

/** Once per `jest` run, before the workers start. */
export default function globalSetup(): void {
  prepareTestToken();
}
