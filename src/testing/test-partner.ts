import { randomUUID } from 'node:crypto';
import { epochSeconds, type Clock } from '../core/clock';
import type { KeySourceInput, PartnerConfigInput, S2SConfigInput } from '../core/config/config-input';
import { createOAuthCertificate } from '../core/certificates/create-certificate';
import { parseSigningCredential } from '../core/certificates/oauth-certificate';
import { SigningKeyRing } from '../core/certificates/signing-key-ring';
import { buildJwks, buildMetadataDocument } from '../core/metadata/metadata-document';
import { TokenIssuer } from '../core/tokens/token-issuer';
import { assertUserIdentity, type UserIdentity } from '../core/tokens/user-identity';
import { audienceOf, type AudienceTarget } from './audience-target';
import { serveDocuments, type ServedMetadata } from './metadata-server';
import { refuseInProduction } from './production-guard';

/** The partner-entry fields a test partner takes as they are (everything but its identity and keys). */
export type TestPartnerSettings = Omit<PartnerConfigInput, 'name' | 'applicationId' | 'realm' | 'keySource'>;

/**
 * Options of {@link createTestPartner}: the partner entry's own fields, and who the partner is. An
 * entry of the application's configuration can be passed whole, to test with its real trust
 * level and permissions: its key source is replaced by the test partner's certificate.
 */
export interface TestPartnerOptions extends TestPartnerSettings {
  /** Its name in the service's configuration. Default `test-partner`. */
  name?: string;
  /** Its principal id. Default: a random UUID. */
  applicationId?: string;
  /** Its realm. Default `contoso.com`. */
  realm?: string;
  /** Ignored (the test partner is trusted by its own certificate), so a configured entry fits as is. */
  keySource?: KeySourceInput;
  /** Its certificate's key: `rsa` (RS256, what Microsoft peers send; the default) or `ec` (ES256). */
  keyType?: 'rsa' | 'ec';
  /** Its certificate's validity in days from now (by `clock`). Default 365. */
  certificateDays?: number;
  /** Whom {@link TestPartner.mint} addresses when it is not told. */
  audience?: AudienceTarget;
  /** The clock its tokens are dated by (ms since the epoch). Default `Date.now`. */
  clock?: Clock;
  /** Run even with `NODE_ENV=production` (a test run under that setting). Default `false`: refused. */
  allowInProduction?: boolean;
}

/** Options of {@link TestPartner.mint}. */
export interface TestMintOptions {
  /** Whom the token is for. Default: the partner's `audience` option. */
  audience?: AudienceTarget;
  /** Act for this user (a user-context token); a string is a `upn`. Omit for an app-only token. */
  user?: string | UserIdentity;
  /** Seconds from now to `exp`; negative for an expired token. Default: `notBefore` + 300. */
  expiresIn?: number;
  /** Seconds from now to `nbf`; positive for a token not valid yet. Default 0 (300 before `exp` when that is past). */
  notBefore?: number;
  /** Microsoft's legacy form: the unsigned outer token around the signed actor token (needs `user`). */
  legacy?: boolean;
  /** Claims set on the signed token over the standard ones (e.g. a fixed `jti`, or a wrong `iss`). */
  claims?: Record<string, unknown>;
}

/** A partner application that exists only in memory, for tests of the routes it calls. */
export interface TestPartner {
  /** Its name in the service's configuration. */
  readonly name: string;
  /** Its principal id. */
  readonly applicationId: string;
  /** Its realm. */
  readonly realm: string;
  /** Its certificate, PEM (public). */
  readonly certificatePem: string;
  /** The partner entry for the service under test: trusted by its certificate, `{ pem }` in memory. */
  readonly partnerConfig: PartnerConfigInput;
  /** Its own service configuration (in-memory keys), for a test that runs the partner side too. */
  readonly serviceConfig: S2SConfigInput;
  /** A token in the exact wire format a real partner sends: app-only, user context or legacy. */
  mint(options?: TestMintOptions): Promise<string>;
  /** `Bearer <token>`, for an `Authorization` header. */
  authorization(options?: TestMintOptions): Promise<string>;
  /** Publishes its `/metadata/json/1` and JWKS on a loopback port, for metadata-configured partners. */
  serveMetadata(): Promise<ServedMetadata>;
}

const DEFAULT_LIFETIME_SECONDS = 300;

/** The token window a test asked for: `exp` and `nbf` relative to now, `iat` never after either. */
function windowOf(now: number, options: TestMintOptions): { nbf: number; iat: number; exp: number } {
  for (const field of ['expiresIn', 'notBefore'] as const) {
    const value = options[field];
    if (value !== undefined && !Number.isInteger(value)) throw new TypeError(`${field}: expected whole seconds`);
  }
  const exp = now + (options.expiresIn ?? (options.notBefore ?? 0) + DEFAULT_LIFETIME_SECONDS);
  const nbf =
    options.notBefore !== undefined ? now + options.notBefore : exp > now ? now : exp - DEFAULT_LIFETIME_SECONDS;
  return { nbf, iat: Math.min(now, nbf), exp };
}

function userOf(user: string | UserIdentity | undefined): UserIdentity | undefined {
  if (user === undefined) return undefined;
  const identity = typeof user === 'string' ? { upn: user } : user;
  assertUserIdentity(identity);
  return identity;
}

/**
 * Creates a partner application in memory (its certificate and key generated on the spot) for
 * tests of routes that partners call: add its `partnerConfig` to the service under test, then
 * send what its `mint()` returns. Needs no test framework and no files.
 *
 * ```ts
 * const messaging = await createTestPartner({ name: 'messaging', trustLevel: 'Full' });
 * const config = await createTestService({ partners: [messaging.partnerConfig] });
 * const token = await messaging.mint({ audience: config, user: 'alice@contoso.com' });
 * ```
 */
export async function createTestPartner(options: TestPartnerOptions): Promise<TestPartner> {
  const { name = 'test-partner', applicationId = randomUUID(), realm = 'contoso.com', ...rest } = options;
  const {
    keyType,
    certificateDays,
    audience: defaultAudience,
    clock = Date.now,
    keySource: replaced,
    allowInProduction,
    ...settings
  } = rest;
  refuseInProduction('createTestPartner', allowInProduction);
  const { certificatePem, privateKeyPem } = await createOAuthCertificate({
    realm,
    name,
    keyType: keyType ?? 'rsa',
    notBefore: new Date(clock()),
    ...(certificateDays !== undefined && { days: certificateDays }),
  });
  const credential = parseSigningCredential(
    certificatePem,
    privateKeyPem,
    { certificate: 'certificate', privateKey: 'privateKey' },
    clock(),
  );
  const keys = new SigningKeyRing(credential, undefined, clock);
  const issuer = new TokenIssuer(applicationId, realm, keys, DEFAULT_LIFETIME_SECONDS, clock);
  const keySource = { kind: 'certificate' as const, certificates: [{ pem: certificatePem }] };

  const mint = async (mintOptions: TestMintOptions = {}): Promise<string> => {
    const user = userOf(mintOptions.user);
    if (mintOptions.legacy && !user)
      throw new TypeError('legacy: the legacy form is a user-context token; name a user');
    return issuer.issue({
      aud: audienceOf(mintOptions.audience ?? defaultAudience, realm),
      ...(user && { user }),
      ...(mintOptions.legacy && { legacy: true }),
      window: windowOf(epochSeconds(clock), mintOptions),
      ...(mintOptions.claims && { claims: mintOptions.claims }),
    });
  };
  return {
    name,
    applicationId,
    realm,
    certificatePem,
    partnerConfig: { ...settings, name, applicationId, realm, keySource },
    serviceConfig: {
      serviceName: applicationId,
      realm,
      hostnames: ['127.0.0.1'],
      signing: { certificate: { pem: certificatePem }, privateKey: { pem: privateKeyPem } },
    },
    mint,
    authorization: async (mintOptions) => `Bearer ${await mint(mintOptions)}`,
    serveMetadata: () =>
      serveDocuments(
        (metadataUrl) =>
          buildMetadataDocument(
            { serviceName: applicationId, realm, additionalRealms: [], certificates: keys.published() },
            metadataUrl,
          ),
        () => buildJwks(keys.published()),
        { ...settings, name },
      ),
  };
}
