import type { Server } from 'node:http';
import express from 'express';
import passport from 'passport';
import { createS2SAuth, type S2SAuth } from '../../src/s2s-auth';
import { IDS } from '../helpers/certificates';
import { listen, portOf } from '../helpers/listen';
import { errorHandler } from '../helpers/partners';
import { serviceConfig } from '../helpers/service';

describe('two services trusting each other end to end, over loopback HTTP', () => {
  let messaging: S2SAuth;
  let contacts: S2SAuth;
  let messagingServer: Server;
  let contactsServer: Server;

  beforeAll(async () => {
    // messaging publishes its metadata; contacts trusts it by that URL alone.
    messaging = createS2SAuth(await serviceConfig('messaging', { realm: 'contoso.com', hostnames: ['127.0.0.1'] }));
    messagingServer = await listen(express().use(messaging.metadataRouter()));
    contacts = createS2SAuth(
      await serviceConfig('contacts', {
        realm: 'contoso.com',
        hostnames: ['127.0.0.1'],
        keySources: { allowInsecureHosts: ['127.0.0.1'] },
        partners: [
          {
            name: 'messaging',
            trustLevel: 'Full',
            permissions: ['contacts.write'],
            keySource: { kind: 'metadata', url: `http://127.0.0.1:${portOf(messagingServer)}/metadata/json/1` },
          },
        ],
      }),
    );
    const authenticator = new passport.Passport().use(contacts.strategy());
    const app = express();
    app.use(authenticator.initialize());
    app.post(
      '/contacts',
      authenticator.authenticate('s2s', { session: false }),
      contacts.requireUser(),
      contacts.requirePermission('contacts.write'),
      (req, res) => {
        res.status(201).json({ owner: req.user!.user!.upn, by: req.user!.partner });
      },
    );
    app.use(errorHandler);
    contactsServer = await listen(app);
  });
  afterAll(() => {
    messagingServer.close();
    contactsServer.close();
  });

  it('accepts a user-context token minted by the built-in issuer, keys read from the metadata URL', async () => {
    const host = `127.0.0.1:${portOf(contactsServer)}`;
    const { token } = await messaging.issuer.mint({
      audience: { principalId: IDS.contacts, host, realm: 'contoso.com' },
      user: { upn: 'alice@contoso.com' },
    });
    const res = await fetch(`http://${host}/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ owner: 'alice@contoso.com', by: 'messaging' });
  });

  it('lets a caller discover the realm with an empty bearer token', async () => {
    const res = await fetch(`http://127.0.0.1:${portOf(contactsServer)}/contacts`, {
      method: 'POST',
      headers: { authorization: 'Bearer ' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="contoso\.com", client_id="11111111-1111-4111-8111-111111111111"/,
    );
  });
});
