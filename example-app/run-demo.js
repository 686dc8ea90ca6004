// `npm run demo`: starts mail, im and scheduler on loopback, runs the scenario and prints each
// step, then stops them (or keeps them running with --serve).
const { join } = require('node:path');
const { startSuite } = require('./lib/suite');
const { runScenario } = require('./lib/scenario');

const serve = process.argv.includes('--serve');

function describe(step) {
  const { body } = step;
  if (step.code) return `${step.code}${body.message ? `: ${body.message}` : ''}`;
  if (body?.contacts) return `contacts of ${body.owner}: ${body.contacts.map((c) => c.address).join(', ') || '(none)'}`;
  if (body?.items)
    return `archive of ${body.owner}: ${body.items.map((i) => `#${i.id} "${i.subject}" (stored by ${i.storedBy})`).join('; ')}`;
  if (body?.conferences)
    return `conferences: ${body.conferences.map((c) => `"${c.subject}" booked by ${c.bookedBy}`).join('; ')}`;
  if (body?.joinUrl) return `booked "${body.subject}" for ${body.organizer} (${body.joinUrl})`;
  if (body?.address) return `stored ${body.address} in ${body.owner}'s contact store`;
  if (body?.subject) return `stored mail item #${body.id} "${body.subject}" for ${body.owner}`;
  return '';
}

async function main() {
  const dataDir = join(__dirname, 'data');
  const certDir = join(__dirname, 'certs');
  console.log('s2s-oauth example: mail (Exchange role), im (messaging server), scheduler, on 127.0.0.1\n');
  const suite = await startSuite({ certDir, dataDir, log: (line) => console.log(`  ${line}`) });
  for (const s of Object.values(suite.services)) console.log(`  ${s.name.padEnd(9)} ${s.url}`);
  console.log(`  mail's data: ${join(dataDir, 'mail.db')} (SQLite)\n`);
  let failures = 0;
  let count = 0;
  try {
    const steps = await runScenario(suite, (step) => {
      const ok =
        step.status === step.expected.status && (step.expected.code === undefined || step.code === step.expected.code);
      if (!ok) failures++;
      const n = String(++count).padStart(2);
      console.log(`${n}. ${step.title}`);
      console.log(`    ${step.path}`);
      console.log(
        `    -> ${step.status} ${describe(step)}${ok ? '' : `   UNEXPECTED (wanted ${step.expected.status}${step.expected.code ? ` ${step.expected.code}` : ''})`}\n`,
      );
    });
    console.log(`${steps.length} steps, ${failures === 0 ? 'all as expected' : `${failures} unexpected`}.`);
  } finally {
    if (serve && failures === 0) {
      console.log('\n--serve: the services keep running; Ctrl-C stops them. Try:');
      console.log(`  curl -H 'X-Demo-User: alice@contoso.com' ${suite.services.im.url}/me/contacts`);
      await new Promise((resolve) => process.once('SIGINT', resolve));
    }
    await suite.stop();
  }
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
