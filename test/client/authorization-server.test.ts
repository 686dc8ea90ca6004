import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import passport from 'passport';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { S2SConfigInput } from '../../src/core/config/config-schema';
import type { VerificationEvent } from '../../src/core/tokens/token-verifier';
import { AuthorizationServers } from '../../src/core/partners/authorization-server';
import { createKeyCache } from '../../src/core/partners/key-source';
import { createClientAssertion, requestClientCredentialsToken } from '../../src/client/client-credentials';
import { IDS } from '../helpers/certificates';
import { onlyDecisions } from '../helpers/events';
import { listen, portOf } from '../helpers/listen';
import { errorHandler } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { startAuthorizationServer, type RunningAuthorizationServer } from '../helpers/authorization-server';

const CONTACTS_RESOURCE = 'https://contacts.contoso.com';
const OTHER_RESOURCE = 'https://other.contoso.com';
/** A resource whose tokens carry contacts' principal-id audience, the default a server config checks. */
const CONTACTS_S2S_RESOURCE = 'https://contacts-s2s.contoso.com';
const RESOURCES = {
  [CONTACTS_RESOURCE]: 'contacts.read contacts.write',
  [OTHER_RESOURCE]: 'other.read',
  [CONTACTS_S2S_RESOURCE]: 'contacts.read',
};
const AUDIENCES = { [CONTACTS_S2S_RESOURCE]: `${IDS.contacts}@contoso.com` };
const LOOPBACK = { allowInsecureHosts: ['127.0.0.1'] };
const REDIRECT = 'http://127.0.0.1/callback';

/** A service that verifies with the s2s strategy and echoes the principal. */
async function protectedService(s2s: S2SAuth): Promise<{ server: Server; base: string }> {
  const authenticator = new passport.Passport().use(s2s.strategy());
  const app = express();
  app.all('/api/{*rest}', authenticator.authenticate('s2s', { session: false }), (req, res) => res.json(req.user));
  app.use(errorHandler);
  const server = await listen(app);
  return { server, base: `http://127.0.0.1:${portOf(server)}` };
}

describe('trusting an authorization server (oidc-provider on loopback), cloud and hybrid', () => {
  let as: RunningAuthorizationServer;
  let messaging: S2SAuth;
  let scheduler: S2SAuth;
  let contacts: S2SAuth;
  let contactsConfig: S2SConfigInput;
  let service: { server: Server; base: string };
  const events: VerificationEvent[] = [];
  let messagingClient: object;
  let schedulerClient: object;
  const lastCode = () => events.filter((e) => e.type === 'rejected').at(-1)?.code;

  const contactsSettings = (metadataUrl: string): Partial<S2SConfigInput> => ({
    realm: 'contoso.com',
    hostnames: ['127.0.0.1'],
    keySources: { ...LOOPBACK, refreshCooldownSeconds: 0 },
    authorizationServers: [
      {
        name: 'cloud',
        metadataUrl,
        audiences: [CONTACTS_RESOURCE],
        clients: [
          {
            clientId: 'messaging',
            name: 'messaging-cloud',
            trustLevel: 'Application',
            permissions: ['contacts.write'],
          },
          { clientId: 'scheduler', name: 'scheduler-cloud', trustLevel: 'User' },
        ],
      },
    ],
  });

  beforeAll(async () => {
    const messagingBase = await serviceConfig('messaging', { realm: 'contoso.com', hostnames: ['127.0.0.1'] });
    const schedulerBase = await serviceConfig('scheduler', { realm: 'contoso.com', hostnames: ['127.0.0.1'] });
    scheduler = createS2SAuth(schedulerBase);
    // messaging is registered at the server with its public keys only: private_key_jwt, no secret.
    messagingClient = {
      client_id: 'messaging',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks: {
        keys: createS2SAuth(messagingBase)
          .jwks()
          .keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })),
      },
      grant_types: ['client_credentials', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT],
    };
    schedulerClient = {
      ...messagingClient,
      client_id: 'scheduler',
      jwks: { keys: scheduler.jwks().keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })) },
    };
    as = await startAuthorizationServer({
      clients: [messagingClient, schedulerClient],
      resources: RESOURCES,
      audiences: AUDIENCES,
    });

    // contacts: hybrid, trusting scheduler directly and messaging through the server.
    contactsConfig = await serviceConfig('contacts', {
      ...contactsSettings(as.metadataUrl),
      partners: [
        {
          name: 'scheduler',
          applicationId: IDS.scheduler,
          realm: 'contoso.com',
          trustLevel: 'Full',
          keySource: { kind: 'certificate', certificates: [schedulerBase.signing!.certificate] },
        },
      ],
    });
    contacts = createS2SAuth(contactsConfig, { onEvent: onlyDecisions(events) });
    service = await protectedService(contacts);

    messaging = createS2SAuth({
      ...messagingBase,
      outbound: LOOPBACK,
      keySources: LOOPBACK,
      authorizationServers: [{ name: 'cloud', metadataUrl: as.metadataUrl, clientId: 'messaging' }],
      partners: [
        {
          name: 'contacts',
          trustLevel: 'Full',
          outbound: {
            kind: 'authorization-server',
            server: 'cloud',
            resource: CONTACTS_RESOURCE,
            scope: 'contacts.read contacts.write',
          },
          baseUrls: [`${service.base}/api`],
        },
      ],
    });
  });
  afterAll(async () => {
    service.server.close();
    await as.stop();
  });
  afterEach(() => (events.length = 0));

  const call = (token: string) => fetch(`${service.base}/api/x`, { headers: { authorization: `Bearer ${token}` } });
  const clientCredentials = (resource: string, server = messaging.authorizationServers.get('cloud')!) =>
    requestClientCredentialsToken({
      server,
      clientId: 'messaging',
      credential: messaging.signingKeys.active(),
      resource,
      limits: { timeoutMs: 5000, maxResponseBytes: 65536, ...LOOPBACK },
      clock: Date.now,
    }).then((t) => t.token);

  it('cloud to cloud: messaging obtains a token with private_key_jwt client credentials and contacts accepts it', async () => {
    const res = await messaging.fetch()(`${service.base}/api/contacts`);
    expect(res.status).toBe(200);
    const principal = await res.json();
    expect(principal).toMatchObject({
      kind: 'app',
      source: 'authorization-server',
      authorizationServer: 'cloud',
      partner: 'messaging-cloud',
      applicationId: 'messaging',
      trustLevel: 'Application',
      permissions: ['contacts.write'],
      issuer: as.issuer,
    });
    expect(principal.scopes).toEqual(expect.arrayContaining(['contacts.read', 'contacts.write']));
    expect(principal.claims).toMatchObject({ aud: CONTACTS_RESOURCE, client_id: 'messaging' });
  });

  it('caches the server-issued token like a self-issued one', async () => {
    const call = messaging.fetch({ fetch });
    const first = await call.getToken('contacts');
    expect(await call.getToken('contacts')).toBe(first);
    expect(decodeProtectedHeader(first).kid).toBe(as.kid);
  });

  it('hybrid: a direct partner and a cloud client are both accepted by one service', async () => {
    const direct = await scheduler.issuer.mint({
      audience: { principalId: IDS.contacts, host: new URL(service.base).host, realm: 'contoso.com' },
      user: { upn: 'alice@contoso.com' },
    });
    const viaDirect = await (await call(direct.token)).json();
    expect(viaDirect).toMatchObject({ source: 'partner', partner: 'scheduler', kind: 'user' });
    const viaCloud = await (await call(await clientCredentials(CONTACTS_RESOURCE))).json();
    expect(viaCloud).toMatchObject({ source: 'authorization-server', partner: 'messaging-cloud' });
  });

  it('hybrid: refuses a token from an authorization server it was not configured with', async () => {
    const rogue = await startAuthorizationServer({
      clients: [messagingClient],
      resources: { [CONTACTS_RESOURCE]: 'contacts.read' },
    });
    try {
      const servers = new AuthorizationServers(
        [{ name: 'rogue', metadataUrl: rogue.metadataUrl, audiences: [], clients: [] }],
        {
          ttlSeconds: 60,
          refreshCooldownSeconds: 0,
          staleIfErrorSeconds: 0,
          timeoutMs: 5000,
          maxResponseBytes: 65536,
          ...LOOPBACK,
        },
        createKeyCache(),
        Date.now,
      );
      const token = await clientCredentials(CONTACTS_RESOURCE, servers.get('rogue')!);
      expect(decodeJwt(token).aud).toBe(CONTACTS_RESOURCE);
      const res = await call(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(lastCode()).toBe('unknown_partner');
    } finally {
      await rogue.stop();
    }
  });

  it('refuses a server token issued for another audience', async () => {
    const token = await clientCredentials(OTHER_RESOURCE);
    expect(decodeJwt(token).aud).toBe(OTHER_RESOURCE);
    const res = await call(token);
    expect(res.status).toBe(401);
    expect(lastCode()).toBe('audience_mismatch');
  });

  it("with audiences left at the default, accepts only our principal-id audience: another service's token is refused", async () => {
    const defaults = createS2SAuth({
      ...contactsConfig,
      authorizationServers: [
        { name: 'cloud', metadataUrl: as.metadataUrl, clients: [{ clientId: 'messaging', trustLevel: 'Application' }] },
      ],
    });
    const ours = await clientCredentials(CONTACTS_S2S_RESOURCE);
    expect(decodeJwt(ours).aud).toBe(`${IDS.contacts}@contoso.com`);
    await expect(defaults.verifier.verify(ours)).resolves.toMatchObject({
      source: 'authorization-server',
      partner: 'messaging',
    });
    for (const resource of [OTHER_RESOURCE, CONTACTS_RESOURCE]) {
      const token = await clientCredentials(resource);
      const error = await defaults.verifier.verify(token).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'audience_mismatch', status: 401, error: 'invalid_token', partner: 'cloud' });
      expect((await defaults.verifier.explain(token)).error?.code).toBe('audience_mismatch');
    }
  });

  it('accepts a user-delegated token from the server for an Application-trust client (authorization-code flow)', async () => {
    const token = await authorizationCodeToken(as.issuer, 'alice');
    expect(decodeJwt(token)).toMatchObject({ sub: 'alice', client_id: 'messaging', aud: CONTACTS_RESOURCE });
    const res = await call(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      kind: 'user',
      trustLevel: 'Application',
      partner: 'messaging-cloud',
      user: { id: 'alice', nameid: 'alice' },
      source: 'authorization-server',
    });
  });

  it("refuses an app-only call from a User-trust client, and accepts it acting for a user with the server's token", async () => {
    const server = messaging.authorizationServers.get('cloud')!;
    const appOnly = await requestClientCredentialsToken({
      server,
      clientId: 'scheduler',
      credential: scheduler.signingKeys.active(),
      resource: CONTACTS_RESOURCE,
      limits: { timeoutMs: 5000, maxResponseBytes: 65536, ...LOOPBACK },
      clock: Date.now,
    });
    const refused = await call(appOnly.token);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(lastCode()).toBe('app_only_not_allowed');
    const delegated = await authorizationCodeToken(as.issuer, 'bob', 'scheduler', scheduler);
    expect(await (await call(delegated)).json()).toMatchObject({
      kind: 'user',
      trustLevel: 'User',
      partner: 'scheduler-cloud',
      user: { id: 'bob' },
    });
  });

  it('reports a refused token request without leaking the client assertion', async () => {
    const s2s = createS2SAuth({
      ...(await serviceConfig('other', { realm: 'contoso.com', hostnames: ['127.0.0.1'] })),
      outbound: LOOPBACK,
      keySources: LOOPBACK,
      authorizationServers: [{ name: 'cloud', metadataUrl: as.metadataUrl, clientId: 'not-registered' }],
      partners: [
        {
          name: 'contacts',
          trustLevel: 'Full',
          outbound: { kind: 'authorization-server', server: 'cloud', resource: CONTACTS_RESOURCE },
          baseUrls: [`${service.base}/api`],
        },
      ],
    });
    const error = await s2s
      .fetch()(`${service.base}/api/x`)
      .catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'PartnerFetchError', code: 'token_request_failed' });
    expect((error as Error).message).toMatch(/refused the token request \(\d{3} invalid_client/);
    expect((error as Error).message).not.toMatch(/eyJ/);
  });

  it('refuses to act for a user through client credentials', async () => {
    await expect(
      messaging.fetch()(`${service.base}/api/x`, { actAs: { upn: 'alice@contoso.com' } }),
    ).rejects.toMatchObject({ code: 'user_token_unavailable' });
  });

  it("picks up the server's key rotation", async () => {
    const before = await clientCredentials(CONTACTS_RESOURCE);
    expect((await call(before)).status).toBe(200);
    const port = as.port;
    await as.stop();
    as = await startAuthorizationServer({
      port,
      clients: [messagingClient, schedulerClient],
      resources: RESOURCES,
      audiences: AUDIENCES,
    });
    const after = await clientCredentials(CONTACTS_RESOURCE);
    expect(decodeProtectedHeader(after).kid).toBe(as.kid);
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    const res = await call(after);
    expect(res.status).toBe(200);
  });

  it('keeps accepting with cached keys while the server is down, and answers 503 without them', async () => {
    const warm = await clientCredentials(CONTACTS_RESOURCE);
    const unseen = await clientCredentials(CONTACTS_RESOURCE);
    expect((await call(warm)).status).toBe(200); // contacts now holds the server's keys
    await as.stop();
    try {
      // Never presented before: verified with the cached keys while the server is down.
      expect((await call(unseen)).status).toBe(200);
      // A service that never fetched the keys cannot verify: an outage (503), not a bad token.
      const cold = createS2SAuth(contactsConfig, { onEvent: onlyDecisions(events) });
      const coldService = await protectedService(cold);
      try {
        const res = await fetch(`${coldService.base}/api/x`, { headers: { authorization: `Bearer ${unseen}` } });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(res.headers.get('www-authenticate')).toBeNull();
        expect(await res.json()).toEqual({ code: 'key_source_unavailable' });
      } finally {
        coldService.server.close();
      }
    } finally {
      as = await startAuthorizationServer({
        port: as.port,
        clients: [messagingClient, schedulerClient],
        resources: RESOURCES,
        audiences: AUDIENCES,
      });
    }
  });

  /** The server's authorization-code flow, driven like a browser: authorize, (scripted) login and consent, code, token. */
  async function authorizationCodeToken(
    issuer: string,
    user: string,
    clientId = 'messaging',
    client: S2SAuth = messaging,
  ): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const cookies = new Map<string, string>();
    const visit = async (url: string): Promise<string> => {
      const res = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      await res.body?.cancel();
      return new URL(res.headers.get('location')!, url).href;
    };
    const authorize = new URL(`${issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid contacts.read',
      resource: CONTACTS_RESOURCE,
      login_hint: user,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
    }).toString();
    let location = await visit(authorize.href);
    for (let hops = 0; !location.startsWith(REDIRECT); hops++) {
      if (hops > 10) throw new Error(`the authorization flow did not reach the redirect URI (at ${location})`);
      location = await visit(location);
    }
    const code = new URL(location).searchParams.get('code');
    if (!code) throw new Error(`no code in ${location}`);
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
        resource: CONTACTS_RESOURCE,
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await createClientAssertion(clientId, issuer, client.signingKeys.active(), Date.now),
      }),
    });
    const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!json.access_token) throw new Error(`token endpoint: ${json.error} ${json.error_description}`);
    return json.access_token;
  }
});
