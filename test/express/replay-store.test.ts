import request from 'supertest';
import { createS2SAuth } from '../../src/s2s-auth';
import type { ReplayStore } from '../../src/core/caches/replay-store';
import { CONTACTS_AUDIENCE, protectedApp, trustedPartner } from '../helpers/partners';
import { createService, serviceConfig } from '../helpers/service';

describe.each(['passport', 'middleware'] as const)(
  'a replay store that cannot answer, through the %s adapter',
  (mode) => {
    const stores: Array<[string, ReplayStore]> = [
      ['hangs', { remember: () => new Promise<boolean>(() => undefined) }],
      [
        'throws',
        {
          remember: () => {
            throw new Error('ECONNREFUSED 127.0.0.1:6379');
          },
        },
      ],
    ];

    it.each(stores)(
      'answers 503 replay_store_unavailable with Retry-After when it %s, within the timeout, and never reaches the handler',
      async (_label, store) => {
        const messaging = await createService('messaging');
        const events: string[] = [];
        const contacts = createS2SAuth(
          await serviceConfig('contacts', {
            replayCache: { timeoutMs: 100 },
            partners: [trustedPartner('messaging', messaging, { requireUniqueJti: true })],
          }),
          { replayStore: store, onEvent: (e) => e.type === 'rejected' && events.push(`${e.type}:${e.code}`) },
        );
        const { token } = await messaging.issuer.mint({ audience: CONTACTS_AUDIENCE });
        const res = await request(protectedApp(contacts, mode)).get('/whoami').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(res.body).toEqual({ code: 'replay_store_unavailable' });
        expect(events).toEqual(['rejected:replay_store_unavailable']);
      },
    );
  },
);
