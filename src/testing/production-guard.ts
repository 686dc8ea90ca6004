/**
 * The kit makes private keys that live only in memory and trusts what a test says: nothing for a
 * production process. With `NODE_ENV=production` it refuses to run unless told that this really
 * is a test (`allowInProduction: true`), instead of silently swapping a service's signing pair.
 */
export function refuseInProduction(what: string, allowInProduction: boolean | undefined): void {
  if (process.env.NODE_ENV !== 'production' || allowInProduction === true) return;
  throw new Error(
    `${what} is for tests, and NODE_ENV is "production": its keys live only in memory. Pass { allowInProduction: true } if this process is a test run with NODE_ENV=production.`,
  );
}
