import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createS2SAuth } from '../../src/s2s-auth';
import { IDS, tempDir } from '../helpers/certificates';
import { cli } from '../helpers/cli';
import { serviceConfig } from '../helpers/service';
import { tamper } from '../helpers/tokens';

describe('s2s-oauth token explain', () => {
  const dir = tempDir('s2s-explain-');
  const config = join(dir, 'contacts.json');
  let messaging: ReturnType<typeof createS2SAuth>;
  const mint = (host = 'contacts.contoso.com', user?: string) =>
    messaging.issuer
      .mint({
        audience: { principalId: IDS.contacts, host, realm: 'contoso.com' },
        ...(user && { user: { upn: user } }),
      })
      .then((m) => m.token);

  beforeAll(async () => {
    const messagingConfig = await serviceConfig('messaging');
    messaging = createS2SAuth(messagingConfig);
    writeFileSync(
      config,
      JSON.stringify({
        ...(await serviceConfig('contacts')),
        partners: [
          {
            name: 'messaging',
            applicationId: IDS.messaging,
            realm: 'contoso.com',
            trustLevel: 'Full',
            permissions: ['contacts.read'],
            keySource: { kind: 'certificate', certificates: [messagingConfig.signing!.certificate] },
          },
        ],
      }),
    );
  });

  it('names every check an accepted token passes, without printing its signature', async () => {
    const token = await mint(undefined, 'alice@contoso.com');
    const { code, out } = await cli(['token', 'explain', '--config', config, token]);
    expect(code).toBe(0);
    for (const check of ['algorithm', 'partner', 'key', 'signature', 'time', 'audience', 'actor', 'trust'])
      expect(out).toMatch(new RegExp(`^PASS  ${check} `, 'm'));
    expect(out).toMatch(/PASS {2}partner +messaging \(22222222-2222-4222-8222-222222222222@contoso\.com, trust Full\)/);
    expect(out).toMatch(
      /ACCEPTED {2}partner messaging acting for alice@contoso\.com, trust Full, permissions \[contacts\.read\]/,
    );
    expect(out).not.toContain(token.split('.')[2]);
  });

  it('shows the audience expected and found when it fails on the audience', async () => {
    const { code, out } = await cli(['token', 'explain', '--config', config], await mint('mail.fabrikam.com'));
    expect(code).toBe(1);
    expect(out).toContain(`found    "${IDS.contacts}/mail.fabrikam.com@contoso.com"`);
    expect(out).toContain(`expected ${IDS.contacts}/<contacts.contoso.com>@<contoso.com>`);
    expect(out).toMatch(/^FAIL {2}audience_mismatch -> HTTP 401 invalid_token/m);
    expect(out).toMatch(/^PASS {2}signature/m);
  });

  it('reads the token from standard input and reports a bad signature', async () => {
    const { code, out } = await cli(['token', 'explain', '--config', config, '-'], `Bearer ${tamper(await mint())}\n`);
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL {2}signature_invalid -> HTTP 401/m);
  });

  it('reports an undecodable token', async () => {
    const { code, out } = await cli(['token', 'explain', '--config', config, 'not-a-token']);
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL {2}token_malformed/m);
  });

  it('needs a configuration', async () => {
    const { code, err } = await cli(['token', 'explain', 'x.y.z']);
    expect(code).toBe(2);
    expect(err).toMatch(/--config is required/);
  });
});
