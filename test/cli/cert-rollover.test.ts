import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import type { Clock } from '../../src/core/clock';
import { loadConfig } from '../../src/core/config/parse-config';
import { IDS, tempDir } from '../helpers/certificates';
import { cli } from '../helpers/cli';
import { manualClock } from '../helpers/service';

/** im, a partner that trusts mail by the certificates given (mail's published keys, read now). */
function partnerTrusting(mail: S2SAuth, certificates: Array<{ pem: string }>, clock: Clock): S2SAuth {
  return createS2SAuth(
    {
      serviceName: IDS.messaging,
      hostnames: ['im.contoso.com'],
      signing: mail.config.signing,
      partners: [
        {
          name: 'mail',
          applicationId: IDS.contacts,
          realm: 'contoso.com',
          trustLevel: 'Full',
          keySource: { kind: 'certificate', certificates },
        },
      ],
    },
    { clock },
  );
}

describe('s2s-oauth cert rollover and cert status', () => {
  const dir = tempDir('s2s-rollover-');
  const config = join(dir, 's2s.json');

  beforeAll(async () => {
    expect(
      (await cli(['cert', 'new', '--realm', 'contoso.com', '--name', 'mail', '--out', join(dir, 'certs')])).code,
    ).toBe(0);
    writeFileSync(
      config,
      JSON.stringify(
        {
          serviceName: IDS.contacts,
          hostnames: ['mail.contoso.com'],
          signing: { certificate: 'certs/oauth-cert.pem', privateKey: 'certs/oauth-key.pem' },
        },
        null,
        2,
      ),
    );
  });

  it('schedules the next certificate: files beside the current one, signing.next in the configuration, thumbprints printed', async () => {
    const before = (await cli(['cert', 'status', '--config', config])).out;
    expect(before).toMatch(/^current {2}x5t \S+ {2}valid .+ \(\d+ days left\) {2}SIGNS NOW\nnext {5}none scheduled/);

    const effectiveAt = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const { code, out } = await cli(['cert', 'rollover', '--config', config, '--effective-at', effectiveAt]);
    expect(code).toBe(0);
    const written = JSON.parse(readFileSync(config, 'utf8'));
    expect(written.signing.next).toEqual({
      certificate: `certs/oauth-cert-${effectiveAt.slice(0, 10)}.pem`,
      privateKey: `certs/oauth-key-${effectiveAt.slice(0, 10)}.pem`,
      effectiveAt,
    });
    expect(statSync(join(dir, written.signing.next.privateKey)).mode & 0o777).toBe(0o600);
    const x5t = /^x5t {15}(\S+)$/m.exec(out)![1];
    expect(out).toMatch(new RegExp(`effectiveAt {7}${effectiveAt.replace(/[.]/g, '\\.')} \\(signs from then on\\)`));

    const status = (await cli(['cert', 'status', '--config', config])).out;
    expect(status).toMatch(/^current .+SIGNS NOW\n/);
    expect(status).toContain(`next     x5t ${x5t}`);
    expect(status).toContain(`effective ${effectiveAt}`);

    // Refused a second time unless forced.
    expect((await cli(['cert', 'rollover', '--config', config])).code).toBe(2);
  });

  it('end to end: a partner that read the metadata before effectiveAt accepts tokens signed with the next certificate after it', async () => {
    const clock = manualClock();
    const mail = createS2SAuth(loadConfig(config), { clock });
    const next = JSON.parse(readFileSync(config, 'utf8')).signing.next;
    const published = mail.metadataDocument().keys.map((k) => k.keyinfo.x5t);
    expect(published).toHaveLength(2);
    // The partner trusts mail by the certificates mail published before the switch.
    const certificates = mail
      .jwks()
      .keys.map((k) => ({ pem: `-----BEGIN CERTIFICATE-----\n${k.x5c[0]}\n-----END CERTIFICATE-----\n` }));
    const partner = partnerTrusting(mail, certificates, clock);
    const audience = { principalId: IDS.messaging, host: 'im.contoso.com', realm: 'contoso.com' };
    const before = await mail.issuer.mint({ audience });
    clock.set(new Date(next.effectiveAt).getTime() + 1000);
    const after = await mail.issuer.mint({ audience });
    const x5t = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).x5t as string;
    expect(x5t(after.token)).not.toBe(x5t(before.token));
    expect(x5t(after.token)).toBe(published[1]);
    await expect(partner.verifier.verify(after.token)).resolves.toMatchObject({ partner: 'mail' });
  });

  it('cert rollover followed by a reload: published before effectiveAt, signing after it, end to end between two services', async () => {
    const own = join(dir, 'reload');
    expect((await cli(['cert', 'new', '--realm', 'contoso.com', '--name', 'mail', '--out', own])).code).toBe(0);
    const file = join(own, 's2s.json');
    writeFileSync(
      file,
      JSON.stringify({
        serviceName: IDS.contacts,
        hostnames: ['mail.contoso.com'],
        signing: { certificate: 'oauth-cert.pem', privateKey: 'oauth-key.pem' },
      }),
    );
    const clock = manualClock();
    const mail = createS2SAuth(loadConfig(file), { clock, configFile: file });
    const audience = { principalId: IDS.messaging, host: 'im.contoso.com', realm: 'contoso.com' };
    const oldX5t = mail.signingKeys.active().x5t;
    const effectiveAt = new Date(clock() + 3_600_000).toISOString();
    expect((await cli(['cert', 'rollover', '--config', file, '--effective-at', effectiveAt])).code).toBe(0);
    expect(mail.reload()).toEqual({ added: [], changed: [], removed: [] });
    const published = mail.jwks().keys;
    expect(published.map((k) => k.x5t)).toEqual([oldX5t, expect.any(String)]);
    // The partner reads mail's published keys now, before effectiveAt.
    const certificates = published.map((k) => ({
      pem: `-----BEGIN CERTIFICATE-----\n${k.x5c[0]}\n-----END CERTIFICATE-----\n`,
    }));
    const im = partnerTrusting(mail, certificates, clock);
    const x5t = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).x5t as string;
    const before = await mail.issuer.mint({ audience });
    expect(x5t(before.token)).toBe(oldX5t);
    await expect(im.verifier.verify(before.token)).resolves.toMatchObject({ partner: 'mail' });
    clock.set(new Date(effectiveAt).getTime() + 1000);
    const after = await mail.issuer.mint({ audience });
    expect(x5t(after.token)).toBe(published[1]!.x5t);
    await expect(im.verifier.verify(after.token)).resolves.toMatchObject({ partner: 'mail' });
  });

  it('refuses a usage mistake with exit 2 and names it', async () => {
    const { code, err } = await cli([
      'cert',
      'rollover',
      '--config',
      config,
      '--lead-hours',
      '1',
      '--effective-at',
      '2030-01-01T00:00:00Z',
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/give --lead-hours or --effective-at, not both/);
  });
});
