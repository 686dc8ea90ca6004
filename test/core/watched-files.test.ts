import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import { createOAuthCertificate } from '../../src/core/certificates/create-certificate';
import type { S2SEvent } from '../../src/core/events';
import { IDS, tempDir } from '../helpers/certificates';
import { trustedPartner } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';
import { eventually } from '../helpers/eventually';

/*
 * Every watched kind of file (the configuration file, partner certificates, the signing pair),
 * changed the way tools and orchestrators change files: a Kubernetes ConfigMap / Secret volume
 * (files are symlinks through `..data`, which kubelet flips to a new timestamped folder: no event
 * ever names the file), delete and recreate, and rename over. Each change is applied within a
 * second, by real fs.watch events (the watcher's 5 s poll is too slow to pass these).
 */

/** How a file's content is replaced. */
type Change = 'a ..data symlink flip' | 'delete and recreate' | 'rename over';
const CHANGES: Change[] = ['a ..data symlink flip', 'delete and recreate', 'rename over'];

/** A folder laid out as kubelet lays out a ConfigMap or Secret volume, or as plain files. */
class Volume {
  private generation = 0;
  constructor(
    readonly dir: string,
    private readonly style: 'kubernetes' | 'plain',
  ) {}

  path(name: string): string {
    return join(this.dir, name);
  }

  /** The first content of every file. */
  create(files: Record<string, string>): void {
    if (this.style === 'plain') {
      for (const [name, content] of Object.entries(files)) writeFileSync(this.path(name), content);
      return;
    }
    const data = this.writeGeneration(files);
    symlinkSync(data, this.path('..data'));
    for (const name of Object.keys(files)) symlinkSync(join('..data', name), this.path(name));
  }

  /** New content for every file, by `change`. */
  async change(change: Change, files: Record<string, string>): Promise<void> {
    if (change === 'a ..data symlink flip') {
      // kubelet's atomic writer: a new folder, a temporary symlink to it renamed over ..data, the old folder removed.
      const old = `..gen-${this.generation}`;
      const data = this.writeGeneration(files);
      symlinkSync(data, this.path('..data_tmp'));
      renameSync(this.path('..data_tmp'), this.path('..data'));
      rmSync(this.path(old), { recursive: true });
      return;
    }
    for (const [name, content] of Object.entries(files)) {
      if (change === 'delete and recreate') {
        unlinkSync(this.path(name));
        await new Promise((resolve) => setTimeout(resolve, 50));
        writeFileSync(this.path(name), content);
      } else {
        writeFileSync(this.path(`.${name}.tmp`), content);
        renameSync(this.path(`.${name}.tmp`), this.path(name));
      }
    }
  }

  private writeGeneration(files: Record<string, string>): string {
    const folder = `..gen-${++this.generation}`;
    mkdirSync(this.path(folder));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.path(folder), name), content);
    return folder;
  }
}

const styleOf = (change: Change) => (change === 'a ..data symlink flip' ? 'kubernetes' : 'plain');
const seen = (events: S2SEvent[], type: S2SEvent['type'], outcome: string) => () =>
  events.some((e) => e.type === type && 'outcome' in e && e.outcome === outcome);

describe('watched files change the way orchestrators change them: each change applied within a second', () => {
  const services: S2SAuth[] = [];
  afterAll(async () => {
    for (const s of services) await s.close();
  });

  it.each(CHANGES)('the configuration file, by %s', async (change) => {
    const messaging = createS2SAuth(await serviceConfig('messaging'));
    const scheduler = createS2SAuth(await serviceConfig('scheduler'));
    const base = await serviceConfig('contacts');
    const volume = new Volume(tempDir('s2s-watch-config-'), styleOf(change));
    const write = (partners: unknown[]) => JSON.stringify({ ...base, partners });
    volume.create({ 's2s.json': write([trustedPartner('messaging', messaging)]) });
    const events: S2SEvent[] = [];
    const contacts = createS2SAuth(JSON.parse(readFileSync(volume.path('s2s.json'), 'utf8')), {
      configFile: volume.path('s2s.json'),
      watchConfigFile: true,
      onEvent: (e) => events.push(e),
    });
    services.push(contacts);
    await volume.change(change, { 's2s.json': write([trustedPartner('scheduler', scheduler)]) });
    await eventually(seen(events, 'reload', 'applied'), 1000);
    expect(events.find((e) => e.type === 'reload')).toMatchObject({ added: ['scheduler'], removed: ['messaging'] });
    expect(contacts.partners.get('scheduler')).toBeDefined();
  });

  it.each(CHANGES)('a partner certificate file, by %s', async (change) => {
    const before = createS2SAuth(await serviceConfig('messaging'));
    const after = createS2SAuth(await serviceConfig('messaging'));
    const volume = new Volume(tempDir('s2s-watch-partner-'), styleOf(change));
    volume.create({ 'messaging.pem': before.signingKeys.active().pem });
    const events: S2SEvent[] = [];
    const contacts = createS2SAuth(
      await serviceConfig('contacts', {
        partners: [
          {
            name: 'messaging',
            applicationId: IDS.messaging,
            realm: 'contoso.com',
            trustLevel: 'Full',
            keySource: { kind: 'certificate', certificates: [volume.path('messaging.pem')] },
          },
        ],
      }),
      { watchPartnerCertificates: true, onEvent: (e) => events.push(e) },
    );
    services.push(contacts);
    await volume.change(change, { 'messaging.pem': after.signingKeys.active().pem });
    await eventually(seen(events, 'partner_certificate', 'reloaded'), 1000);
    expect(events.filter((e) => e.type === 'partner_certificate')).toEqual([
      { type: 'partner_certificate', outcome: 'reloaded', partner: 'messaging' },
    ]);
  });

  it.each(CHANGES)('the signing certificate and key, by %s', async (change) => {
    const first = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
    const second = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
    const volume = new Volume(tempDir('s2s-watch-signing-'), styleOf(change));
    volume.create({ 'tls.crt': first.certificatePem, 'tls.key': first.privateKeyPem });
    const events: S2SEvent[] = [];
    const s2s = createS2SAuth(
      {
        serviceName: IDS.contacts,
        realm: 'contoso.com',
        hostnames: ['mail.contoso.com'],
        signing: { certificate: volume.path('tls.crt'), privateKey: volume.path('tls.key') },
      },
      { watchSigningFiles: { leadTimeSeconds: 0 }, onEvent: (e) => events.push(e) },
    );
    services.push(s2s);
    const oldX5t = s2s.signingKeys.active().x5t;
    // Both files at once: a Secret volume flips them together; file by file the first half is a torn pair.
    await volume.change(change, { 'tls.crt': second.certificatePem, 'tls.key': second.privateKeyPem });
    await eventually(seen(events, 'signing_certificate', 'scheduled'), 1000);
    await eventually(() => s2s.signingKeys.active().x5t !== oldX5t, 1000);
    expect(s2s.signingKeys.published().map((c) => c.x5t)).toContain(oldX5t);
  });
});
