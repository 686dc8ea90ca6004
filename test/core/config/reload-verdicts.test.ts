import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth } from '../../../src/s2s-auth';
import { TokenError } from '../../../src/core/errors/token-error';
import { createOAuthCertificate } from '../../../src/core/certificates/create-certificate';
import type { S2SConfigInput } from '../../../src/core/config/config-input';
import type { S2SEvent } from '../../../src/core/events';
import { createTestPartner, createTestService } from '../../../src/testing';
import { tempDir } from '../../helpers/certificates';
import { manualClock } from '../../helpers/service';
import { eventually } from '../../helpers/eventually';

/*
 * A reload's `tokens.*` apply to tokens verified before it (cached verdicts and recorded replay
 * ids), a dropped or replaced `signing.next` leaves the ring, and a partner certificate file the
 * reload adds is watched.
 */
const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: unknown) => (e instanceof TokenError ? e.code : String(e)),
  );

describe('a reload and what was decided before it', () => {
  it('a lower lifetime cap refuses a cached token over it (lifetime_too_long)', async () => {
    const clock = manualClock();
    const messaging = await createTestPartner({ name: 'messaging', trustLevel: 'Full', clock });
    const config = await createTestService({ partners: [messaging.partnerConfig] });
    const s2s = createS2SAuth(config, { clock });
    const token = await messaging.mint({ audience: config, expiresIn: 1800 });
    for (let i = 0; i < 3; i++) expect(await code(s2s.verifier.verify(token))).toBe('accepted'); // cached from the second
    s2s.reload({ ...config, tokens: { maxInboundLifetimeSeconds: 900, lifetimeSeconds: 300 } });
    expect(await code(s2s.verifier.verify(token))).toBe('lifetime_too_long');
  });

  it('a smaller clock skew refuses a cached token past exp under it (token_expired)', async () => {
    const clock = manualClock();
    const messaging = await createTestPartner({ name: 'messaging', trustLevel: 'Full', clock });
    const config = await createTestService({ partners: [messaging.partnerConfig], tokens: { clockSkewSeconds: 300 } });
    const s2s = createS2SAuth(config, { clock });
    const token = await messaging.mint({ audience: config, expiresIn: 60 });
    for (let i = 0; i < 2; i++) expect(await code(s2s.verifier.verify(token))).toBe('accepted');
    clock.advance(120_000); // past exp, within the 300 s skew
    expect(await code(s2s.verifier.verify(token))).toBe('accepted');
    s2s.reload({ ...config, tokens: { clockSkewSeconds: 30 } });
    expect(await code(s2s.verifier.verify(token))).toBe('token_expired');
  });

  it('a larger clock skew does not readmit a requireUniqueJti token whose id the in-memory store recorded before (token_replayed)', async () => {
    const clock = manualClock();
    const messaging = await createTestPartner({ name: 'messaging', trustLevel: 'Full', clock, requireUniqueJti: true });
    const config = await createTestService({ partners: [messaging.partnerConfig], tokens: { clockSkewSeconds: 0 } });
    const s2s = createS2SAuth(config, { clock });
    const token = await messaging.mint({ audience: config, expiresIn: 60 });
    expect(await code(s2s.verifier.verify(token))).toBe('accepted');
    clock.advance(120_000); // past exp + the old skew: the old code forgot the id here
    expect(await code(s2s.verifier.verify(token))).toBe('token_expired');
    s2s.reload({ ...config, tokens: { clockSkewSeconds: 600 } });
    expect(await code(s2s.verifier.verify(token))).toBe('token_replayed');
  });

  it('a reload that drops or replaces a scheduled signing.next takes it off the ring: unpublished, and it never signs', async () => {
    const clock = manualClock();
    const base = await createTestService();
    const cert = (name: string) => createOAuthCertificate({ realm: 'contoso.com', name });
    const [first, second] = await Promise.all([cert('next-1'), cert('next-2')]);
    const effectiveAt = new Date(clock() + 3_600_000).toISOString();
    const withNext = (pair: typeof first): S2SConfigInput => ({
      ...base,
      signing: {
        ...base.signing!,
        next: { certificate: { pem: pair.certificatePem }, privateKey: { pem: pair.privateKeyPem }, effectiveAt },
      },
    });
    const s2s = createS2SAuth(withNext(first), { clock });
    const x5ts = () => s2s.jwks().keys.map((k) => k.x5t);
    const current = s2s.signingKeys.active().x5t;
    expect(x5ts()).toHaveLength(2);
    const firstX5t = x5ts()[1]!;

    s2s.reload(withNext(second));
    expect(x5ts()).toHaveLength(2);
    expect(x5ts()).not.toContain(firstX5t);
    const secondX5t = x5ts()[1]!;

    s2s.reload(base);
    expect(x5ts()).toEqual([current]);
    clock.advance(7_200_000); // past the dropped next's effectiveAt
    expect(s2s.signingKeys.active().x5t).toBe(current);
    expect(x5ts()).not.toContain(secondX5t);
  });

  it('a partner certificate file added by a reload is watched: a renewed file is used at once', async () => {
    const dir = tempDir('s2s-reload-watch-');
    const file = join(dir, 'crm.pem');
    const before = await createTestPartner({ name: 'crm', trustLevel: 'Full', keyType: 'ec' });
    const renewed = await createTestPartner({
      name: 'crm',
      trustLevel: 'Full',
      keyType: 'ec',
      applicationId: before.applicationId,
    });
    writeFileSync(file, before.certificatePem);
    const config = await createTestService();
    const events: S2SEvent[] = [];
    const s2s = createS2SAuth(config, { watchPartnerCertificates: true, onEvent: (e) => events.push(e) });
    try {
      s2s.reload({
        ...config,
        partners: [{ ...before.partnerConfig, keySource: { kind: 'certificate', certificates: [file] } }],
      });
      expect(await code(s2s.verifier.verify(await before.mint({ audience: config })))).toBe('accepted');
      writeFileSync(file, renewed.certificatePem);
      await eventually(() => events.some((e) => e.type === 'partner_certificate' && e.outcome === 'reloaded'), 2000);
      expect(await code(s2s.verifier.verify(await renewed.mint({ audience: config })))).toBe('accepted');
    } finally {
      await s2s.close();
    }
  });
});
