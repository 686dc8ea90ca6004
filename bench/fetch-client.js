// The outbound load: `node bench/fetch-client.js <json>` runs N concurrent fetch loops against a
// loopback server for a duration with one variant, and prints {rps, cpuPerRequest}.
//   plain          fetch(url)
//   static-header  fetch(url, { headers: { authorization } }): the cost of merely adding a header
//   partner-fetch  s2s.fetch()(url): partner lookup, cached token, header (the wrapper)
//   partner-fetch-hsm  the same, signing in SoftHSM2
process.env.NODE_ENV = 'production';
const { readFileSync } = require('node:fs');
const { createS2SAuth, loadConfig } = require('s2s-oauth');

const options = JSON.parse(process.argv[2]);
const setup = JSON.parse(readFileSync(options.setupFile, 'utf8'));

function client() {
  if (options.variant === 'plain') return (url) => fetch(url);
  if (options.variant === 'static-header') {
    const headers = { authorization: `Bearer ${setup.outboundToken}` };
    return (url) => fetch(url, { headers });
  }
  // partner-fetch-hsm: the same wrapper, its signing key in SoftHSM2 (signing is off the hot path).
  const s2s = createS2SAuth(
    loadConfig(options.variant === 'partner-fetch-hsm' ? setup.messagingHsmConfig : setup.messagingConfig),
  );
  s2s.partners.add({
    name: 'contacts',
    applicationId: setup.contactsId,
    realm: 'contoso.com',
    trustLevel: 'Full',
    baseUrls: [options.origin],
  });
  return s2s.fetch();
}

async function run(call, url, seconds) {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  const loop = async () => {
    while (Date.now() < end) {
      const res = await call(url);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      count++;
    }
  };
  await Promise.all(Array.from({ length: options.loops }, loop));
  return count;
}

(async () => {
  const call = client();
  const url = `${options.origin}/echo`;
  // Check before timing: the variant must send (or not send) the header it claims to.
  const probe = await (await call(`${options.origin}/auth`)).json();
  const expectHeader = options.variant !== 'plain';
  if (probe.authorization !== expectHeader)
    throw new Error(`${options.variant}: authorization header ${probe.authorization ? 'sent' : 'missing'}`);
  await run(call, url, options.warmup);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const count = await run(call, url, options.duration);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    JSON.stringify({ rps: count / elapsed, cpuPerRequest: (used.user + used.system) / count }) + '\n',
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
