import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth } from '../../../src/s2s-auth';
import { createOAuthCertificate } from '../../../src/core/certificates/create-certificate';
import type { S2SEvent } from '../../../src/core/events';
import { IDS, tempDir } from '../../helpers/certificates';
import { manualClock } from '../../helpers/service';
import { eventually } from '../../helpers/eventually';

describe('watching the signing files (in process)', () => {
  it('refuses a torn pair, then schedules the valid one after the lead time, and ignores a rewrite of the same pair', async () => {
    const dir = tempDir('s2s-watch-');
    const certificate = join(dir, 'cert.pem');
    const privateKey = join(dir, 'key.pem');
    const first = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
    writeFileSync(certificate, first.certificatePem);
    writeFileSync(privateKey, first.privateKeyPem);
    const clock = manualClock(Date.now());
    const events: S2SEvent[] = [];
    const s2s = createS2SAuth(
      {
        serviceName: IDS.contacts,
        realm: 'contoso.com',
        hostnames: ['mail.contoso.com'],
        signing: { certificate, privateKey },
      },
      { clock, watchSigningFiles: { leadTimeSeconds: 60 }, onEvent: (e) => events.push(e) },
    );
    try {
      const oldX5t = s2s.signingKeys.active().x5t;
      const second = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
      writeFileSync(`${certificate}.tmp`, second.certificatePem);
      renameSync(`${certificate}.tmp`, certificate);
      await eventually(() => events.some((e) => e.type === 'signing_certificate' && e.outcome === 'refused'));
      expect(events[0]).toMatchObject({
        type: 'signing_certificate',
        outcome: 'refused',
        issues: [{ path: 'signing.privateKey', message: expect.stringMatching(/does not match the certificate/) }],
      });
      expect(s2s.signingKeys.published().map((c) => c.x5t)).toEqual([oldX5t]);
      writeFileSync(privateKey, second.privateKeyPem);
      await eventually(() => events.some((e) => e.type === 'signing_certificate' && e.outcome === 'scheduled'));
      const scheduled = events.find((e) => e.type === 'signing_certificate' && e.outcome === 'scheduled')!;
      expect(scheduled).toEqual({
        type: 'signing_certificate',
        outcome: 'scheduled',
        x5t: expect.not.stringMatching(oldX5t),
        effectiveAt: new Date(clock() + 60_000).toISOString(),
      });
      expect(s2s.signingKeys.active().x5t).toBe(oldX5t);
      expect(s2s.signingKeys.published()).toHaveLength(2);
      clock.advance(60_000);
      expect(s2s.signingKeys.active().x5t).not.toBe(oldX5t);
      // The same pair written again changes nothing.
      const count = events.length;
      writeFileSync(privateKey, second.privateKeyPem);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(events.filter((e) => e.type === 'signing_certificate' && e.outcome === 'scheduled')).toHaveLength(1);
      expect(events.length).toBeGreaterThanOrEqual(count);
    } finally {
      await s2s.close();
    }
  });
});
