import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createS2SAuth, type S2SAuth } from '../../../src/s2s-auth';
import { TokenError } from '../../../src/core/errors/token-error';
import { requestClientCredentialsToken, TokenRequestError } from '../../../src/client/client-credentials';
import type { S2SConfigInput } from '../../../src/core/config/config-schema';
import { IDS } from '../../helpers/certificates';
import { serviceConfig } from '../../helpers/service';
import { StaticAuthorizationServer } from '../../helpers/static-authorization-server';
import { craftToken, legacyOuterClaims } from '../../helpers/tokens';

const US = `${IDS.contacts}@contoso.com`;
const KEY_SOURCES = { allowInsecureHosts: ['127.0.0.1'], refreshCooldownSeconds: 0, timeoutMs: 10_000 };
/** Microsoft's ACS names itself `<its principal id>@<realm>`, the very form a partner's `iss` takes. */
const ACS_ID = '00000001-0000-0000-c000-000000000000';

async function contactsTrusting(
  servers: S2SConfigInput['authorizationServers'],
  extra: Partial<S2SConfigInput> = {},
): Promise<S2SAuth> {
  return createS2SAuth(
    await serviceConfig('contacts', { keySources: KEY_SOURCES, authorizationServers: servers, ...extra }),
  );
}
const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenError ? e.code : `not a TokenError: ${String(e)}`),
  );

describe('authorization-server tokens get every check partner tokens get', () => {
  const as = new StaticAuthorizationServer();
  const hung = new StaticAuthorizationServer();
  beforeAll(async () => {
    await as.start();
    await hung.start();
  });
  afterAll(async () => {
    await as.stop();
    await hung.stop();
  });
  afterEach(() => {
    as.issuer = undefined;
    as.metadataIsJwks = false;
    hung.mode = 'ok';
  });

  it("matches partners first: a partner whose <id>@<realm> is a server's issuer keeps its tokens, and the server cannot sign as it", async () => {
    as.issuer = `${ACS_ID}@contoso.com`;
    const acsPartner = await serviceConfig('other');
    const contacts = await contactsTrusting(
      [{ name: 'acs', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Full' }] }],
      {
        partners: [
          {
            name: 'lookalike',
            applicationId: ACS_ID,
            realm: 'contoso.com',
            trustLevel: 'Full',
            keySource: { kind: 'certificate', certificates: [acsPartner.signing!.certificate] },
          },
        ],
      },
    );
    await contacts.authorizationServers.get('acs')!.metadata.get(); // the server's metadata is in memory
    expect(contacts.authorizationServers.findKnown(as.issuer)).toBeDefined();
    const now = Math.floor(Date.now() / 1000);
    const partnerToken = craftToken(
      { alg: 'RS256', typ: 'JWT' },
      { iss: as.issuer, nameid: as.issuer, aud: US, nbf: now, exp: now + 300 },
      createPrivateKey(readFileSync(acsPartner.signing!.privateKey as string)),
    );
    await expect(contacts.verifier.verify(partnerToken)).resolves.toMatchObject({
      source: 'partner',
      partner: 'lookalike',
    });
    const serverToken = as.sign({ aud: US, client_id: 'messaging', nameid: as.issuer }, {});
    expect(await code(contacts.verifier.verify(serverToken))).toBe('signature_invalid');
    expect((await contacts.verifier.explain(serverToken)).error?.code).toBe('signature_invalid');
  });

  it.each([
    ['its own URL', undefined, { typ: 'JWT', alg: 'none' }],
    ["Microsoft's <id>@<realm> form", `${ACS_ID}@contoso.com`, { typ: 'JWT', alg: 'none' }],
    // The outer header copied from the server token's (a kid: malformed for an outer token), a signature left on.
    ['its own URL, in a malformed outer token', undefined, { typ: 'JWT', alg: 'none', kid: 'k' }],
  ])(
    "a server's token (issuer: %s) wrapped in the legacy unsigned outer token is refused as legacy_token_refused: servers have no legacy form",
    async (_label, issuer, outerHeader) => {
      as.issuer = issuer;
      const contacts = await contactsTrusting([
        { name: 'acs', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Full' }] },
      ]);
      const serverToken = as.sign({ aud: US, client_id: 'messaging', nameid: as.issuer ?? as.origin });
      await expect(contacts.verifier.verify(serverToken)).resolves.toMatchObject({ source: 'authorization-server' });
      const now = Math.floor(Date.now() / 1000);
      const wrapped = craftToken(
        outerHeader,
        legacyOuterClaims(US, as.issuer ?? as.origin, now, as.sign({ aud: US, client_id: 'messaging' })),
        'none',
      );
      const error = await contacts.verifier.verify(wrapped).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'legacy_token_refused', status: 401, partner: 'acs' });
      expect((error as TokenError).message).toMatch(/authorization server/);
      expect((await contacts.verifier.explain(wrapped)).error?.code).toBe('legacy_token_refused');
    },
  );

  it('reads a metadata document that is also its own JWKS (cache entries are kept by kind and URL)', async () => {
    as.metadataIsJwks = true;
    const contacts = await contactsTrusting([
      { name: 'cloud', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Application' }] },
    ]);
    const token = as.sign({ aud: US, client_id: 'messaging' });
    await expect(contacts.verifier.verify(token)).resolves.toMatchObject({
      source: 'authorization-server',
      partner: 'messaging',
    });
    await expect(contacts.verifier.verify(as.sign({ aud: US, client_id: 'messaging' }))).resolves.toMatchObject({
      authorizationServer: 'cloud',
    });
  });

  it.each([
    ['an empty sub', { sub: '' }, 'sub'],
    ['a sub that is not a string', { sub: 42 }, 'sub'],
    ['an email that is not a string', { sub: 'alice', email: ['alice@contoso.com'] }, 'email'],
    ['no aud at all', { aud: undefined }, 'aud'],
  ])('refuses a server token with %s (never a user with id "")', async (_label, claims, claim) => {
    const contacts = await contactsTrusting([
      { name: 'cloud', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Application' }] },
    ]);
    const token = as.sign({ aud: US, client_id: 'messaging', ...claims });
    const error = await contacts.verifier.verify(token).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'token_malformed', status: 401, claim, partner: 'cloud' });
    expect((await contacts.verifier.explain(token)).error?.code).toBe('token_malformed');
  });

  it.each([
    ['a foreign realm', `${IDS.contacts}@fabrikam.com`, 'realm_mismatch'],
    ['another service', `${IDS.other}@contoso.com`, 'audience_mismatch'],
  ])('refuses a server token addressed to %s with audiences at the default', async (_label, aud, expected) => {
    const contacts = await contactsTrusting([
      { name: 'cloud', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Application' }] },
    ]);
    const token = as.sign({ aud, client_id: 'messaging' });
    expect(await code(contacts.verifier.verify(token))).toBe(expected);
    expect((await contacts.verifier.explain(token)).error?.code).toBe(expected);
  });

  it('resolves on the first server whose metadata names the issuer: a hung server delays no other', async () => {
    hung.mode = 'hang';
    const contacts = await contactsTrusting([
      { name: 'hung', metadataUrl: hung.metadataUrl, clients: [] },
      { name: 'cloud', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Application' }] },
    ]);
    const principal = await contacts.verifier.verify(as.sign({ aud: US, client_id: 'messaging' }));
    expect(principal).toMatchObject({ authorizationServer: 'cloud' });
    // Answered while the hung server's metadata request is still open (the fetch timeout is 10 s).
    expect(hung.pending).toBe(1);
  });

  it("caps the token endpoint's reply like every document it reads", async () => {
    const messaging = createS2SAuth({
      ...(await serviceConfig('messaging')),
      keySources: { ...KEY_SOURCES, maxResponseBytes: 64 * 1024 },
      authorizationServers: [{ name: 'cloud', metadataUrl: as.metadataUrl }],
    });
    as.tokenReplyPadding = 2 * 1024 * 1024;
    try {
      const request = requestClientCredentialsToken({
        server: messaging.authorizationServers.get('cloud')!,
        clientId: 'messaging',
        credential: messaging.signingKeys.active(),
        resource: 'https://contacts.contoso.com',
        limits: { timeoutMs: 5000, maxResponseBytes: 64 * 1024, allowInsecureHosts: ['127.0.0.1'] },
        clock: Date.now,
      });
      const error = await request.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenRequestError);
      expect((error as Error).message).toMatch(/over the 65536-byte limit/);
      as.tokenReplyPadding = 0;
    } finally {
      as.tokenReplyPadding = 0;
    }
  });
});
