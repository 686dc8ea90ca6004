import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { ACTIVE_DIRECTORY_NII } from '../../../src/core/tokens/user-identity';
import { IDS } from '../../helpers/certificates';
import { createService, manualClock, serviceConfig } from '../../helpers/service';
import { createS2SAuth } from '../../../src/s2s-auth';

const audience = { principalId: IDS.contacts, host: 'Contacts.Contoso.com:8443', realm: 'contoso.com' };
const AUD = `${IDS.contacts}/contacts.contoso.com:8443@contoso.com`;
const ISS = `${IDS.messaging}@contoso.com`;

describe('the built-in token issuer', () => {
  const clock = manualClock();
  let service: Awaited<ReturnType<typeof createService>>;
  beforeAll(async () => {
    service = await createService('messaging', {}, clock);
  });
  const verifyWithJose = (token: string) =>
    jwtVerify(token, createLocalJWKSet(service.jwks() as JSONWebKeySet), {
      algorithms: ['RS256'],
      currentDate: new Date(clock()),
    });

  it('mints an app-only actor token in the Microsoft S2S wire format that plain jose verifies against our JWKS', async () => {
    const { token, expiresAt } = await service.issuer.mint({ audience });
    const { payload, protectedHeader } = await verifyWithJose(token);
    const key = service.signingKeys.active();
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', x5t: key.x5t, kid: key.kid });
    const now = Math.floor(clock() / 1000);
    expect(payload).toEqual({
      aud: AUD,
      iss: ISS,
      nameid: ISS,
      nbf: now,
      iat: now,
      exp: now + 300,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      trustedfordelegation: false,
    });
    expect(expiresAt).toBe((now + 300) * 1000);
  });

  it('gives every token a unique jti', async () => {
    const a = decodeJwt((await service.issuer.mint({ audience })).token);
    const b = decodeJwt((await service.issuer.mint({ audience })).token);
    expect(a.jti).not.toBe(b.jti);
  });

  it('mints a signed user-context token carrying both the user and the acting service', async () => {
    const { token } = await service.issuer.mint({
      audience,
      user: { nameid: 'S-1-5-21-1', upn: 'alice@contoso.com', smtp: 'alice@contoso.com' },
    });
    const { payload, protectedHeader } = await verifyWithJose(token);
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      aud: AUD,
      iss: ISS,
      nameid: 'S-1-5-21-1',
      nii: ACTIVE_DIRECTORY_NII,
      upn: 'alice@contoso.com',
      smtp: 'alice@contoso.com',
      act: { nameid: ISS },
      trustedfordelegation: true,
    });
    expect(payload).not.toHaveProperty('actortoken');
  });

  it('mints the legacy form only when asked: an unsigned outer token around a signed actor token', async () => {
    const { token } = await service.issuer.mint({ audience, user: { upn: 'alice@contoso.com' }, legacy: true });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'none', typ: 'JWT' });
    expect(token.endsWith('.')).toBe(true);
    const outer = decodeJwt(token);
    expect(outer).toMatchObject({ aud: AUD, iss: ISS, upn: 'alice@contoso.com' });
    const actor = await verifyWithJose(outer.actortoken as string);
    expect(actor.payload).toMatchObject({ aud: AUD, iss: ISS, nameid: ISS, trustedfordelegation: true });
    expect(actor.payload.nbf).toBe(outer.nbf);
    expect(actor.payload.exp).toBe(outer.exp);
  });

  it('signs ES256 with an EC certificate', async () => {
    const ec = createS2SAuth(await serviceConfig('scheduler', {}, { keyType: 'ec' }));
    const { token } = await ec.issuer.mint({ audience });
    const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(ec.jwks() as JSONWebKeySet), {
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
  });

  it('honours a configured lifetime and refuses one over the hard cap', async () => {
    const { token } = await service.issuer.mint({ audience, lifetimeSeconds: 60 });
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.nbf!).toBe(60);
    await expect(service.issuer.mint({ audience, lifetimeSeconds: 3601 })).rejects.toThrow(
      /lifetimeSeconds: expected whole seconds from 1 to 3600/,
    );
  });

  it('refuses a user named by nothing', async () => {
    await expect(service.issuer.mint({ audience, user: {} })).rejects.toThrow(
      /user: name the user by at least one of nameid, upn, smtp or sip/,
    );
    await expect(service.issuer.mint({ audience, user: { upn: '' } })).rejects.toThrow(
      /user\.upn: expected a non-empty string/,
    );
  });
});
