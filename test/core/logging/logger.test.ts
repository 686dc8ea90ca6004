import { Writable } from 'node:stream';
import pino from 'pino';
import { createS2SAuth } from '../../../src/s2s-auth';
import type { S2SEvent } from '../../../src/core/events';
import { lineFor, type Logger } from '../../../src/core/logging/event-log';
import { createTestPartner, createTestService } from '../../../src/testing';
import { inspectForSecrets } from '../../helpers/secret-scan';

/** A console-like logger (message first) that remembers what it was told. */
function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (message: unknown, fields: unknown) =>
    lines.push({ level, message: String(message), fields: fields as Record<string, unknown> });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('the logger option', () => {
  it('logs a start-up summary, partner changes, key-source failures and refusals at their levels, never a secret', async () => {
    const im = await createTestPartner({ name: 'im', trustLevel: 'Full', keyType: 'ec' });
    const fax = await createTestPartner({ name: 'fax', trustLevel: 'User', keyType: 'ec' });
    const gone = await fax.serveMetadata();
    await gone.close();
    const config = await createTestService(
      {
        serviceName: 'mail-id',
        partners: [im.partnerConfig, gone.partnerConfig],
      },
      { allowLoopbackHttp: true },
    );
    const { logger, lines } = recordingLogger();
    const s2s = createS2SAuth(config, { logger });

    expect(lines[0]).toEqual({
      level: 'info',
      message: expect.stringMatching(
        /^s2s-oauth: mail-id@contoso.com ready: signing with \S+ until \S+; partners: im \(Full\), fax \(User\); authorization servers: none$/,
      ),
      fields: expect.objectContaining({ serviceName: 'mail-id', partners: ['im', 'fax'], component: 's2s-oauth' }),
    });
    await expect(s2s.verifier.verify(await im.mint({ audience: config, expiresIn: -100 }))).rejects.toBeDefined();
    await expect(s2s.verifier.verify(await fax.mint({ audience: config }))).rejects.toBeDefined();
    s2s.partners.disable('im');

    const rest = lines.slice(1).map((l) => `${l.level} ${l.message}`);
    expect(rest).toEqual([
      'debug s2s-oauth: refused a call from im: 401 token_expired',
      expect.stringMatching(
        /^error s2s-oauth: the keys of fax are unavailable \(network\): its tokens get 503 until http:\/\/127.0.0.1:\d+\/metadata\/json\/1 answers$/,
      ),
      'warn s2s-oauth: could not verify a call: 503 key_source_unavailable (network)',
      'info s2s-oauth: partner im updated (disabled)',
    ]);
    for (const line of lines) inspectForSecrets('log line', line);
    expect(JSON.stringify(lines)).not.toMatch(/BEGIN|eyJ/);
  });

  it('writes pino-style (fields first) to a real pino logger, so its JSON carries the fields', async () => {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'debug' }, stream);
    const config = await createTestService({ serviceName: 'svc' }, { allowLoopbackHttp: true });
    const s2s = createS2SAuth(config, { logger });
    await expect(s2s.verifier.verify('not-a-token')).rejects.toMatchObject({ code: 'token_malformed' });
    const records = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records[0]).toMatchObject({
      level: 30,
      serviceName: 'svc',
      component: 's2s-oauth',
      msg: expect.stringMatching(/^s2s-oauth: svc@contoso.com ready/),
    });
    expect(records[1]).toMatchObject({
      level: 20,
      code: 'token_malformed',
      status: 401,
      msg: 's2s-oauth: refused a call: 401 token_malformed',
    });
  });

  it('has a line for every event that needs one', () => {
    const events: Array<[S2SEvent, string | undefined]> = [
      [{ type: 'accepted', partner: 'im' }, undefined],
      [{ type: 'key_source', outcome: 'fetched', owner: 'im', url: 'https://im/m' }, 'debug'],
      [{ type: 'key_source', outcome: 'stale', owner: 'im', url: 'https://im/m', reason: 'timeout' }, 'warn'],
      [
        {
          type: 'certificate_expiring',
          partner: 'im',
          x5t: 'x',
          notAfter: '2027-01-01T00:00:00Z',
          daysLeft: 3,
          expired: false,
          notYetValid: false,
        },
        'warn',
      ],
      [{ type: 'outbound', outcome: 'refused', partner: 'im', code: 'partner_disabled' }, 'warn'],
      [{ type: 'outbound', outcome: 'retried', partner: 'im' }, 'info'],
      [{ type: 'outbound', outcome: 'token_requested', partner: 'im', refresh: true }, 'debug'],
      [{ type: 'partner_change', action: 'removed', partner: 'im' }, 'info'],
      [{ type: 'fleet', outcome: 'unreachable' }, 'error'],
      [{ type: 'fleet', outcome: 'invalid', partner: 'im' }, 'warn'],
      [{ type: 'fleet', outcome: 'recorded', partner: 'im' }, 'debug'],
      [{ type: 'fleet', outcome: 'applied', partner: 'im' }, 'info'],
      [{ type: 'reload', outcome: 'applied', added: ['a'], changed: [], removed: ['b'] }, 'info'],
      [
        {
          type: 'reload',
          outcome: 'refused',
          issues: [{ path: 'partners[0].trustLevel', message: 'expected "Full"' }],
        },
        'warn',
      ],
      [{ type: 'signing_certificate', outcome: 'scheduled', x5t: 'x', effectiveAt: '2027-01-01T00:00:00Z' }, 'info'],
      [
        {
          type: 'signing_certificate',
          outcome: 'refused',
          issues: [{ path: 'signing.privateKey', message: 'mismatch' }],
        },
        'warn',
      ],
      [{ type: 'partner_certificate', outcome: 'reloaded', partner: 'im' }, 'info'],
      [{ type: 'partner_certificate', outcome: 'refused', partner: 'im', issues: [] }, 'warn'],
    ];
    for (const [event, level] of events) expect([event.type, lineFor(event)?.level]).toEqual([event.type, level]);
    expect(lineFor(events[13]![0])!.message).toBe(
      'configuration reload refused, the running one stays: partners[0].trustLevel: expected "Full"',
    );
  });

  it('drops debug lines for a logger without debug()', async () => {
    const warnings: unknown[] = [];
    const logger = { info: () => undefined, warn: (m: unknown) => warnings.push(m), error: () => undefined };
    const s2s = createS2SAuth(await createTestService({}, { allowLoopbackHttp: true }), { logger });
    await expect(s2s.verifier.verify('x.y.z')).rejects.toBeDefined();
    expect(warnings).toEqual([]);
  });
});
