import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../helpers/certificates';

// The example app, as a user would run it: three real processes on ephemeral loopback ports.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSuite } = require('../../example-app/lib/suite');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runScenario, ALICE } = require('../../example-app/lib/scenario');

interface Step {
  title: string;
  expected: { status: number; code?: string };
  status: number;
  code?: string;
  body: Record<string, unknown> & {
    contacts?: Array<{ address: string }>;
    items?: Array<{ subject: string; storedBy: string }>;
  };
}
interface Suite {
  env: Record<string, string>;
  services: Record<string, { url: string }>;
  restart(name: string): Promise<unknown>;
  stop(): Promise<void>;
}

describe('the example app: unified contact store and archiving across three trusting services', () => {
  const dataDir = tempDir('s2s-e2e-data-');
  let suite: Suite;
  let steps: Step[];
  const stepNamed = (title: string) => steps.find((s) => s.title === title)!;
  const rows = () => {
    const db = new Database(join(dataDir, 'mail.db'), { readonly: true });
    try {
      return {
        contacts: db.prepare('SELECT owner, address FROM contacts ORDER BY owner, address').all(),
        archive: db.prepare('SELECT owner, subject, stored_by AS storedBy FROM archive').all(),
      };
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    suite = await startSuite({ certDir: tempDir('s2s-e2e-certs-'), dataDir, log: () => undefined });
    steps = await runScenario(suite);
  }, 60_000);
  afterAll(() => suite?.stop());

  it('runs every step with the expected status and error code', () => {
    expect(steps).toHaveLength(15);
    for (const step of steps) {
      expect({ title: step.title, status: step.status, code: step.code }).toEqual({
        title: step.title,
        status: step.expected.status,
        code: step.expected.code,
      });
    }
  });

  it('stores contacts in mail on behalf of the user, separately per user', () => {
    expect(stepNamed('alice adds bob to her contacts').body).toMatchObject({
      owner: ALICE,
      address: 'bob@contoso.com',
    });
    expect(stepNamed('alice reads her contacts back').body.contacts!.map((c) => c.address)).toEqual([
      'bob@contoso.com',
    ]);
    expect(stepNamed('bob reads his contacts: his own mailbox, empty').body.contacts).toEqual([]);
  });

  it('archives the transcript as a mail item, stored by im', () => {
    const items = stepNamed('alice reads her archive').body.items!;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ subject: 'Conversation c-1 with bob@contoso.com', storedBy: 'im' });
    expect((items[0] as unknown as { body: string }).body).toContain('bob@contoso.com: Yes, see you there.');
  });

  it('books a conference on im through scheduler', () => {
    expect(stepNamed('alice schedules a conference').body).toMatchObject({
      organizer: ALICE,
      bookedBy: 'scheduler',
      subject: 'Quarterly review',
    });
    expect(stepNamed('alice sees it on im').body.conferences).toHaveLength(1);
  });

  it('wrote nothing for any refused request', () => {
    const { contacts, archive } = rows();
    expect(contacts).toEqual([{ owner: ALICE, address: 'bob@contoso.com' }]);
    expect(archive).toHaveLength(1);
  });

  it("keeps mail's data across a restart of mail", async () => {
    await suite.restart('mail');
    const res = await fetch(`${suite.services.im!.url}/me/contacts`, { headers: { 'x-demo-user': ALICE } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { contacts: Array<{ address: string }> }).contacts.map((c) => c.address)).toEqual([
      'bob@contoso.com',
    ]);
    const archive = await fetch(`${suite.services.im!.url}/me/archive`, { headers: { 'x-demo-user': ALICE } });
    expect(((await archive.json()) as { items: unknown[] }).items).toHaveLength(1);
  }, 30_000);

  it('answers a user-facing call without the demo header with 401, and a bad contact with 400 naming the field, writing nothing', async () => {
    const anonymous = await fetch(`${suite.services.im!.url}/me/contacts`);
    expect(anonymous.status).toBe(401);
    const bad = await fetch(`${suite.services.im!.url}/me/contacts`, {
      method: 'POST',
      headers: { 'x-demo-user': ALICE, 'content-type': 'application/json' },
      body: JSON.stringify({ address: 'not-an-address', name: 'X' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: 'invalid_request_body',
      message: 'address: expected an e-mail address',
    });
    expect(rows().contacts).toHaveLength(1);
  });
});
