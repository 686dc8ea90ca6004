/**
 * `s2s-oauth/testing`: partners and services in memory, for tests of the routes partners call.
 * No test framework is needed (jest, vitest and `node:test` alike); nothing is written to disk.
 *
 * ```ts
 * import { createTestPartner, createTestService } from 's2s-oauth/testing';
 *
 * const messaging = await createTestPartner({ name: 'messaging', trustLevel: 'Full' });
 * const config = await createTestService({ partners: [messaging.partnerConfig] });
 * const app = buildApp(createS2SAuth(config));
 * const token = await messaging.mint({ audience: config, user: 'alice@contoso.com' });
 * ```
 * @packageDocumentation
 */
export {
  createTestPartner,
  type TestPartner,
  type TestPartnerOptions,
  type TestPartnerSettings,
  type TestMintOptions,
} from './test-partner';
export { createTestService, type TestServiceInput, type TestServiceOptions } from './test-service';
export type { ServedMetadata } from './metadata-server';
export type { AudienceTarget } from './audience-target';
