import { REQUIREMENTS, installHint, requireAll, type RequirementName } from '../system-requirements';

/** The tag a skipped suite's title carries; test/helpers/skipped-suites-reporter.js lists them. */
export const SKIP_TAG = '[skipped: ';

/**
 * `describe` for a suite that needs `requirement` on the machine (test/system-requirements.js).
 * Present: the suite runs. Missing: the suite is skipped, and its title says why (the run's summary
 * lists it) — or, under S2S_REQUIRE_ALL (CI), it fails with a test that names what is missing.
 */
export function describeWith(requirement: RequirementName, name: string, suite: () => void): void {
  if (REQUIREMENTS[requirement].present()) return describe(name, suite);
  const why = `${requirement} is not installed (${installHint(requirement)})`;
  if (requireAll())
    return describe(name, () => {
      it(`has ${requirement}`, () => {
        throw new Error(`${why}; S2S_REQUIRE_ALL forbids skipping ${REQUIREMENTS[requirement].usedBy}`);
      });
    });
  describe.skip(`${name} ${SKIP_TAG}${why}]`, suite);
}
