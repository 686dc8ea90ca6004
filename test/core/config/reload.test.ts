import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth, type S2SAuth } from '../../../src/s2s-auth';
import type { S2SEvent } from '../../../src/core/events';
import type { S2SConfigInput } from '../../../src/core/config/config-schema';
import { IDS, tempDir } from '../../helpers/certificates';
import { CONTACTS_AUDIENCE, trustedPartner } from '../../helpers/partners';
import { serviceConfig } from '../../helpers/service';
import { eventually } from '../../helpers/eventually';

describe('configuration reloaded under a running service', () => {
  const dir = tempDir('s2s-reload-');
  const file = join(dir, 's2s.json');
  let messaging: S2SAuth;
  let scheduler: S2SAuth;
  let base: S2SConfigInput;
  let contacts: S2SAuth;
  const events: S2SEvent[] = [];

  /** Rewrites the file the way deployment tools do: a new file renamed over the old one. */
  const write = (config: unknown) => {
    writeFileSync(`${file}.new`, typeof config === 'string' ? config : JSON.stringify(config));
    renameSync(`${file}.new`, file);
  };
  const verdict = async (from: S2SAuth) => {
    const { token } = await from.issuer.mint({ audience: CONTACTS_AUDIENCE });
    return contacts.verifier.verify(token).then(
      () => 'accepted',
      (e: { code: string }) => e.code,
    );
  };

  beforeAll(async () => {
    messaging = createS2SAuth(await serviceConfig('messaging'));
    scheduler = createS2SAuth(await serviceConfig('scheduler'));
    base = await serviceConfig('contacts');
    write({ ...base, partners: [trustedPartner('messaging', messaging)] });
    contacts = createS2SAuth(
      { ...base, partners: [trustedPartner('messaging', messaging)] },
      { configFile: file, watchConfigFile: true, onEvent: (e) => events.push(e) },
    );
  });
  afterAll(() => contacts.close());

  it('a removed partner is refused and an added one accepted within a second of the edit', async () => {
    expect(await verdict(messaging)).toBe('accepted');
    expect(await verdict(scheduler)).toBe('unknown_partner');
    const { token: cached } = await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE });
    await contacts.verifier.verify(cached); // in the verified-token cache now
    write({ ...base, partners: [trustedPartner('scheduler', scheduler)] });
    await eventually(() => events.some((e) => e.type === 'reload' && e.outcome === 'applied'), 1000);
    expect(events.find((e) => e.type === 'reload')).toEqual({
      type: 'reload',
      outcome: 'applied',
      added: ['scheduler'],
      changed: [],
      removed: ['messaging'],
    });
    expect(await verdict(scheduler)).toBe('accepted');
    expect(await verdict(messaging)).toBe('unknown_partner');
    await expect(contacts.verifier.verify(cached)).rejects.toMatchObject({ code: 'unknown_partner' });
  });

  it('an invalid edit leaves the service as it was, and an event names the field', async () => {
    events.length = 0;
    write({ ...base, partners: [{ ...trustedPartner('scheduler', scheduler), trustLevel: 'Root' }] });
    await eventually(() => events.some((e) => e.type === 'reload'), 1000);
    expect(events).toEqual([
      {
        type: 'reload',
        outcome: 'refused',
        issues: [{ path: 'partners[0].trustLevel', message: 'expected "Full", "Application" or "User"' }],
      },
    ]);
    expect(await verdict(scheduler)).toBe('accepted');
    events.length = 0;
    write('{ "serviceName": ');
    await eventually(() => events.some((e) => e.type === 'reload'), 1000);
    expect(events[0]).toMatchObject({
      type: 'reload',
      outcome: 'refused',
      issues: [{ path: '', message: expect.stringMatching(/is not valid JSON/) }],
    });
    expect(await verdict(scheduler)).toBe('accepted');
  });

  it('applies changed settings: the clock skew, the token size cap, key-source timings', async () => {
    const partners = [trustedPartner('scheduler', scheduler)];
    const { token } = await scheduler.issuer.mint({ audience: CONTACTS_AUDIENCE });
    contacts.reload({ ...base, partners, tokens: { maxTokenBytes: 512 } });
    expect(await contacts.verifier.verify(token).catch((e: { code: string }) => e.code)).toBe('token_too_large');
    contacts.reload({ ...base, partners, tokens: { lifetimeSeconds: 120 }, keySources: { timeoutMs: 1234 } });
    expect(await contacts.verifier.verify(token).then(() => 'accepted')).toBe('accepted');
    const minted = await contacts.issuer.mint({
      audience: { principalId: IDS.messaging, host: 'messaging.contoso.com', realm: 'contoso.com' },
    });
    expect(minted.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    expect(contacts.config.keySources.timeoutMs).toBe(1234);
    contacts.reload({ ...base, partners });
  });

  it('refuses as a whole a change that needs a restart, and a partner whose certificate cannot be read', () => {
    expect(() =>
      contacts.reload({
        ...base,
        hostnames: ['other.contoso.com'],
        partners: [trustedPartner('scheduler', scheduler)],
      }),
    ).toThrow(
      expect.objectContaining({
        issues: [
          {
            path: 'hostnames',
            message:
              'cannot change without a restart (a reload applies everything but our identity and the current signing pair: rotate that with signing.next)',
          },
        ],
      }),
    );
    expect(() =>
      contacts.reload({
        ...base,
        partners: [
          trustedPartner('scheduler', scheduler),
          {
            ...trustedPartner('messaging', messaging),
            keySource: { kind: 'certificate', certificates: ['/nonexistent.pem'] },
          },
        ],
      }),
    ).toThrow(expect.objectContaining({ path: 'partners[1].keySource.certificates[0]' }));
    expect(contacts.partners.get('messaging')).toBeUndefined();
    expect(contacts.reload({ ...base, partners: [trustedPartner('scheduler', scheduler)] })).toEqual({
      added: [],
      changed: [],
      removed: [],
    });
  });
});
