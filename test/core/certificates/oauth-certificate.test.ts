import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ConfigError } from '../../../src/core/errors/config-error';
import {
  certificateToJwk,
  parseCertificate,
  parseCertificateBundle,
  parseSigningCredential,
} from '../../../src/core/certificates/oauth-certificate';
import { createOAuthCertificate } from '../../../src/core/certificates/create-certificate';

const FIELDS = { certificate: 'signing.certificate', privateKey: 'signing.privateKey' };

async function certificateWithKey(algorithm: RsaHashedKeyGenParams | EcKeyGenParams, days = 30, startDaysAgo = 0) {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - startDaysAgo * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=test',
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * 86_400_000),
      signingAlgorithm: algorithm,
      keys,
    },
    webcrypto as unknown as Crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    certificatePem: cert.toString('pem'),
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`,
  };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('OAuth certificates', () => {
  it('computes x5t exactly as openssl reports the SHA-1 fingerprint', async () => {
    const { certificatePem } = await createOAuthCertificate({ realm: 'contoso.com', name: 'mail' });
    const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1'], {
      input: certificatePem,
    }).toString();
    const hex = out.split('=')[1]!.trim().replace(/:/g, '');
    const cert = parseCertificate(certificatePem, 'f');
    expect(cert.x5t).toBe(Buffer.from(hex, 'hex').toString('base64url'));
    expect(cert.x5t).toHaveLength(27);
    const sha256 = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], {
      input: certificatePem,
    }).toString();
    expect(cert.x5tS256).toBe(Buffer.from(sha256.split('=')[1]!.trim().replace(/:/g, ''), 'hex').toString('base64url'));
    expect(cert.kid).toBe(cert.x5tS256);
  });

  it('reads the realm and additional realms from the DNS SANs', async () => {
    const { certificatePem } = await createOAuthCertificate({
      realm: 'contoso.com',
      name: 'mail',
      additionalRealms: ['fabrikam.com'],
    });
    expect(parseCertificate(certificatePem, 'f').dnsNames).toEqual(['contoso.com', 'fabrikam.com']);
  });

  it('signs RS256 with RSA 2048 and ES256 with EC P-256', async () => {
    const rsa = await createOAuthCertificate({ realm: 'contoso.com', name: 'a' });
    const ec = await createOAuthCertificate({ realm: 'contoso.com', name: 'b', keyType: 'ec' });
    expect(parseSigningCredential(rsa.certificatePem, rsa.privateKeyPem, FIELDS, Date.now()).alg).toBe('RS256');
    expect(parseSigningCredential(ec.certificatePem, ec.privateKeyPem, FIELDS, Date.now()).alg).toBe('ES256');
  });

  it('refuses an RSA key under 2048 bits', async () => {
    const weak = await certificateWithKey({
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 1024,
    });
    const error = configError(() =>
      parseSigningCredential(weak.certificatePem, weak.privateKeyPem, FIELDS, Date.now()),
    );
    expect(error.path).toBe('signing.certificate');
    expect(error.message).toMatch(/RSA key of 1024 bits is too weak/);
  });

  it('refuses an EC curve other than P-256', async () => {
    const p384 = await certificateWithKey({ name: 'ECDSA', namedCurve: 'P-384' });
    expect(
      configError(() => parseCertificate(p384.certificatePem, 'partners[0].keySource.certificates[0]')).message,
    ).toMatch(/partners\[0\]\.keySource\.certificates\[0\]: EC curve secp384r1 is not supported/);
  });

  it('refuses a private key that does not match the certificate, without printing it', async () => {
    const a = await createOAuthCertificate({ realm: 'contoso.com', name: 'a' });
    const b = await createOAuthCertificate({ realm: 'contoso.com', name: 'b' });
    const error = configError(() => parseSigningCredential(a.certificatePem, b.privateKeyPem, FIELDS, Date.now()));
    expect(error.path).toBe('signing.privateKey');
    expect(error.message).toMatch(/does not match the certificate/);
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it('refuses an expired certificate', async () => {
    const old = await certificateWithKey(
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 },
      10,
      20,
    );
    const error = configError(() => parseSigningCredential(old.certificatePem, old.privateKeyPem, FIELDS, Date.now()));
    expect(error.path).toBe('signing.certificate');
    expect(error.message).toMatch(/certificate expired on \d{4}-/);
  });

  it('refuses text that is not a certificate or a key', async () => {
    const a = await createOAuthCertificate({ realm: 'contoso.com', name: 'a' });
    expect(configError(() => parseSigningCredential('garbage', a.privateKeyPem, FIELDS, Date.now())).path).toBe(
      'signing.certificate',
    );
    expect(configError(() => parseSigningCredential(a.certificatePem, 'garbage', FIELDS, Date.now())).path).toBe(
      'signing.privateKey',
    );
    expect(configError(() => parseCertificateBundle('nothing here', 'p')).message).toMatch(/no PEM certificate found/);
  });

  it('reads every certificate of a bundle', async () => {
    const a = await createOAuthCertificate({ realm: 'contoso.com', name: 'a' });
    const b = await createOAuthCertificate({ realm: 'contoso.com', name: 'b' });
    const certs = parseCertificateBundle(a.certificatePem + b.certificatePem, 'p');
    expect(certs.map((c) => c.x5t)).toEqual([
      parseCertificate(a.certificatePem, 'a').x5t,
      parseCertificate(b.certificatePem, 'b').x5t,
    ]);
  });

  it('exports a public JWK with kid, x5t, x5t#S256 and x5c and no private part', async () => {
    const a = await createOAuthCertificate({ realm: 'contoso.com', name: 'a' });
    const cert = parseCertificate(a.certificatePem, 'a');
    const jwk = certificateToJwk(cert);
    expect(jwk).toMatchObject({
      kty: 'RSA',
      kid: cert.kid,
      alg: 'RS256',
      use: 'sig',
      x5t: cert.x5t,
      'x5t#S256': cert.x5tS256,
      x5c: [cert.der.toString('base64')],
    });
    expect(jwk).not.toHaveProperty('d');
  });
});
