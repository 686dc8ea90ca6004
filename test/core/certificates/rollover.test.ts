import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import express from 'express';
import { createS2SAuth } from '../../../src/s2s-auth';
import { ConfigError } from '../../../src/core/errors/config-error';
import { IDS, tempDir, writeCertificate } from '../../helpers/certificates';
import { manualClock, serviceConfig } from '../../helpers/service';

const audience = { principalId: IDS.contacts, host: 'contacts.contoso.com', realm: 'contoso.com' };

describe('certificate rollover', () => {
  const clock = manualClock();
  const effectiveAt = new Date(clock() + 24 * 3600_000);
  let service: ReturnType<typeof createS2SAuth>;
  let next: { x5t: string; kid: string };

  beforeAll(async () => {
    const config = await serviceConfig('messaging');
    const nextFiles = await writeCertificate(tempDir(), 'messaging-next');
    service = createS2SAuth(
      {
        ...config,
        signing: {
          ...config.signing!,
          next: {
            certificate: nextFiles.certificate,
            privateKey: nextFiles.privateKey,
            effectiveAt: effectiveAt.toISOString(),
          },
        },
      },
      { clock },
    );
    const [, scheduled] = service.signingKeys.published();
    next = { x5t: scheduled!.x5t, kid: scheduled!.kid };
  });

  it('publishes the current and the next key before the switch, in metadata and JWKS', async () => {
    const app = express().use(service.metadataRouter());
    const metadata = await request(app).get('/metadata/json/1').expect(200);
    expect(metadata.body.keys.map((k: { keyinfo: { x5t: string } }) => k.keyinfo.x5t)).toEqual([
      service.signingKeys.active().x5t,
      next.x5t,
    ]);
    const jwks = await request(app).get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual([service.signingKeys.active().kid, next.kid]);
  });

  it('signs with the current key until effectiveAt, then with the next one, without a restart', async () => {
    clock.set(effectiveAt.getTime() - 1000);
    const before = await service.issuer.mint({ audience });
    expect(decodeProtectedHeader(before.token).kid).not.toBe(next.kid);

    clock.set(effectiveAt.getTime());
    const after = await service.issuer.mint({ audience });
    expect(decodeProtectedHeader(after.token)).toMatchObject({ x5t: next.x5t, kid: next.kid });

    // Old tokens still verify against what we publish after the switch (the previous key stays published).
    const jwks = createLocalJWKSet(service.jwks() as JSONWebKeySet);
    const currentDate = new Date(clock());
    await expect(jwtVerify(before.token, jwks, { algorithms: ['RS256'], currentDate })).resolves.toBeDefined();
    await expect(jwtVerify(after.token, jwks, { algorithms: ['RS256'], currentDate })).resolves.toBeDefined();
    expect(service.signingKeys.published()[0]!.kid).toBe(next.kid);
    expect(service.signingKeys.published()).toHaveLength(2);
  });

  it('refuses a next certificate that takes effect after the current one has expired', async () => {
    const config = await serviceConfig('messaging');
    const nextFiles = await writeCertificate(tempDir(), 'late');
    const late = new Date(Date.now() + 400 * 86_400_000).toISOString();
    expect(() =>
      createS2SAuth({
        ...config,
        signing: {
          ...config.signing!,
          next: { certificate: nextFiles.certificate, privateKey: nextFiles.privateKey, effectiveAt: late },
        },
      }),
    ).toThrow(expect.objectContaining({ path: 'signing.next.effectiveAt' }));
  });

  it('names the field of an unreadable key file', async () => {
    const config = await serviceConfig('messaging');
    let error: unknown;
    try {
      createS2SAuth({ ...config, signing: { ...config.signing!, privateKey: '/nonexistent/key.pem' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('signing.privateKey');
    // The value of a field that may hold a secret is never echoed, not even as a path.
    expect((error as Error).message).toBe(
      's2s-oauth config: signing.privateKey: cannot read the file this field names (ENOENT)',
    );
  });
});

describe('metadata router', () => {
  it('serves the Microsoft auth-metadata document with cache headers', async () => {
    const config = await serviceConfig('contacts', { additionalRealms: ['fabrikam.com'] });
    const service = createS2SAuth(config);
    const app = express().use(service.metadataRouter());
    const res = await request(app).get('/metadata/json/1').set('Host', 'contacts.contoso.com').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const key = service.signingKeys.active();
    expect(res.body).toEqual({
      id: `_${IDS.contacts}`,
      version: '1.0',
      name: IDS.contacts,
      realm: 'contoso.com',
      serviceName: IDS.contacts,
      issuer: `${IDS.contacts}@contoso.com`,
      allowedAudiences: [`${IDS.contacts}@contoso.com`, `${IDS.contacts}@fabrikam.com`],
      keys: [
        {
          usage: 'signing',
          keyinfo: { x5t: key.x5t },
          keyvalue: { type: 'x509Certificate', value: key.der.toString('base64') },
        },
      ],
      endpoints: [{ location: 'http://contacts.contoso.com/metadata/json/1', protocol: 'OAuth2', usage: 'metadata' }],
    });
  });
});
