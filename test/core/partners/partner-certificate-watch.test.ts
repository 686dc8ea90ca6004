import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth } from '../../../src/s2s-auth';
import type { S2SEvent } from '../../../src/core/events';
import { IDS, tempDir } from '../../helpers/certificates';
import { CONTACTS_AUDIENCE } from '../../helpers/partners';
import { serviceConfig } from '../../helpers/service';
import { eventually } from '../../helpers/eventually';

describe('partner certificates configured by path, watched', () => {
  it('uses a renewed certificate at once, and keeps the old keys while a file is half written', async () => {
    const dir = tempDir('s2s-partner-watch-');
    const file = join(dir, 'messaging.pem');
    const before = createS2SAuth(await serviceConfig('messaging'));
    const after = createS2SAuth(await serviceConfig('messaging'));
    writeFileSync(file, before.signingKeys.active().pem);
    const events: S2SEvent[] = [];
    const contacts = createS2SAuth(
      await serviceConfig('contacts', {
        partners: [
          {
            name: 'messaging',
            applicationId: IDS.messaging,
            realm: 'contoso.com',
            trustLevel: 'Full',
            keySource: { kind: 'certificate', certificates: [file] },
          },
        ],
      }),
      { watchPartnerCertificates: true, onEvent: (e) => events.push(e) },
    );
    const verdict = async (from: typeof before) => {
      const { token } = await from.issuer.mint({ audience: CONTACTS_AUDIENCE });
      return contacts.verifier.verify(token).then(
        () => 'accepted',
        (e: { code: string }) => e.code,
      );
    };
    try {
      expect(await verdict(before)).toBe('accepted');
      expect(await verdict(after)).not.toBe('accepted');
      // Half written: the old keys stay in use, and the event says why.
      writeFileSync(file, after.signingKeys.active().pem.slice(0, 100));
      await eventually(() => events.some((e) => e.type === 'partner_certificate' && e.outcome === 'refused'));
      expect(events.find((e) => e.type === 'partner_certificate')).toMatchObject({
        outcome: 'refused',
        partner: 'messaging',
        issues: [{ message: 'no PEM certificate found' }],
      });
      expect(await verdict(before)).toBe('accepted');
      writeFileSync(`${file}.tmp`, after.signingKeys.active().pem);
      renameSync(`${file}.tmp`, file);
      await eventually(() => events.some((e) => e.type === 'partner_certificate' && e.outcome === 'reloaded'));
      expect(await verdict(after)).toBe('accepted');
      expect(await verdict(before)).toBe('key_not_found'); // its kid is no longer the partner's
    } finally {
      await contacts.close();
    }
  });
});
