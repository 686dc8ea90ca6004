// The outbound case with the signing key in SoftHSM2 (when Debian's softhsm2 is installed): a
// token of the bench's own, a key generated in it, a certificate it signed, and a service
// configuration signing through it. Also the cost of one mint through the HSM beside the
// in-process key (one at a time, and 50 at once).
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { createS2SAuth, createOAuthCertificateForSigner, loadConfig } = require('s2s-oauth');

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const hasSoftHsm = existsSync(MODULE);

/**
 * Makes the token and `messaging-hsm.json` beside `messaging.json` in `dir`. Sets SOFTHSM2_CONF
 * and the PIN variable in this process's environment (children inherit it). Returns the file.
 */
async function prepareHsmService(dir, serviceName) {
  const tokens = join(dir, 'softhsm-tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  process.env.S2S_BENCH_HSM_PIN = randomBytes(8).toString('hex');
  execFileSync(
    'softhsm2-util',
    [
      '--init-token',
      '--free',
      '--label',
      'bench',
      '--pin',
      process.env.S2S_BENCH_HSM_PIN,
      '--so-pin',
      randomBytes(8).toString('hex'),
    ],
    { stdio: 'ignore' },
  );
  const { generatePkcs11KeyPair, pkcs11Signer } = require('s2s-oauth/pkcs11');
  const where = { module: MODULE, token: 'bench', pin: { env: 'S2S_BENCH_HSM_PIN' } };
  generatePkcs11KeyPair({ ...where, key: 'messaging' });
  const signer = pkcs11Signer({ ...where, key: 'messaging' });
  const pem = await createOAuthCertificateForSigner({
    realm: 'contoso.com',
    name: 'messaging-hsm',
    publicKey: signer.publicKey(),
    signer,
  });
  signer.close();
  writeFileSync(join(dir, 'messaging-hsm-cert.pem'), pem);
  const file = join(dir, 'messaging-hsm.json');
  writeFileSync(
    file,
    JSON.stringify({
      serviceName,
      realm: 'contoso.com',
      hostnames: ['127.0.0.1'],
      signing: { certificate: 'messaging-hsm-cert.pem', signer: { kind: 'pkcs11', ...where, key: 'messaging' } },
      outbound: { allowInsecureHosts: ['127.0.0.1'] },
    }),
  );
  return file;
}

/** ms per mint, for the in-process key and the HSM key: `count` one after another, then `count` at once. */
async function mintCost(messagingConfig, hsmConfig, audience, count = 300) {
  const result = {};
  for (const [name, file] of [
    ['in process', messagingConfig],
    ['SoftHSM2', hsmConfig],
  ]) {
    const s2s = createS2SAuth(loadConfig(file));
    await s2s.ready();
    const mint = () => s2s.issuer.mint({ audience });
    for (let i = 0; i < 20; i++) await mint(); // warm-up
    let start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await mint();
    const sequential = Number(process.hrtime.bigint() - start) / 1e6 / count;
    start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: count }, mint));
    const concurrent = Number(process.hrtime.bigint() - start) / 1e6 / count;
    result[name] = { sequential, concurrent };
  }
  return result;
}

module.exports = { hasSoftHsm, prepareHsmService, mintCost };
