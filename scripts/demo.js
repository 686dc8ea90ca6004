// Interim demo (until example-app/ exists): two services in one process. "messaging" mints a
// token with its built-in issuer; "contacts" publishes its own metadata, and reads messaging's
// keys from messaging's metadata router over loopback HTTP, then verifies the token with jose.
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const express = require('express');
const { createS2SAuth, createOAuthCertificate } = require('s2s-oauth');

const IDS = { contacts: '11111111-1111-4111-8111-111111111111', messaging: '22222222-2222-4222-8222-222222222222' };

async function service(name) {
  const dir = mkdtempSync(join(tmpdir(), `s2s-demo-${name}-`));
  const { certificatePem, privateKeyPem } = await createOAuthCertificate({ realm: 'contoso.com', name });
  writeFileSync(join(dir, 'cert.pem'), certificatePem);
  writeFileSync(join(dir, 'key.pem'), privateKeyPem, { mode: 0o600 });
  return createS2SAuth({
    serviceName: IDS[name],
    hostnames: [`${name}.contoso.com`],
    signing: { certificate: join(dir, 'cert.pem'), privateKey: join(dir, 'key.pem') },
  });
}

async function main() {
  const { jwtVerify, createRemoteJWKSet } = await import('jose');
  const messaging = await service('messaging');
  const contacts = await service('contacts');
  const server = express().use(messaging.metadataRouter()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const metadata = await (await fetch(`${base}/metadata/json/1`)).json();
    console.log(`1. contacts reads messaging's metadata: issuer ${metadata.issuer}, key x5t ${metadata.keys[0].keyinfo.x5t}`);
    const { token } = await messaging.issuer.mint({
      audience: { principalId: contacts.config.serviceName, host: 'contacts.contoso.com', realm: contacts.config.realm },
      user: { upn: 'alice@contoso.com' },
    });
    console.log(`2. messaging mints a user-context token for alice@contoso.com (${token.length} bytes, not shown)`);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), {
      algorithms: ['RS256'],
      issuer: metadata.issuer,
      audience: `${contacts.config.serviceName}/contacts.contoso.com@${contacts.config.realm}`,
    });
    console.log(`3. contacts verifies it: acting service ${payload.act.nameid}, user ${payload.upn}, expires ${new Date(payload.exp * 1000).toISOString()}`);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await jwtVerify(forged, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), { algorithms: ['RS256'] }).then(
      () => { throw new Error('a forged token was accepted'); },
      (e) => console.log(`4. a token with a tampered signature is refused: ${e.code}`),
    );
  } finally {
    server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
