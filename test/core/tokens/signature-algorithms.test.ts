import { generateKeyPairSync, sign } from 'node:crypto';
import { jwsSign } from '../../helpers/tokens';
import {
  isAllowedAlgorithm,
  isUsableKey,
  keyFitsAlgorithm,
  verifySignature,
} from '../../../src/core/tokens/signature-algorithms';

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const ed25519 = generateKeyPairSync('ed25519');

describe('signature algorithms', () => {
  it('calls usable exactly the keys some allowed algorithm accepts', () => {
    expect([rsa2048, p256, p384].map((k) => isUsableKey(k.publicKey))).toEqual([true, true, true]);
    expect([rsa1024, ed25519].map((k) => isUsableKey(k.publicKey))).toEqual([false, false]);
  });

  it('allows exactly the asymmetric algorithms, and nothing that merely looks like one', () => {
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'])
      expect(isAllowedAlgorithm(alg)).toBe(true);
    for (const alg of [
      'none',
      'HS256',
      'HS512',
      'ES512',
      'EdDSA',
      'rs256',
      'RS256 ',
      'toString',
      '__proto__',
      'constructor',
      42,
      undefined,
      null,
    ])
      expect(isAllowedAlgorithm(alg)).toBe(false);
  });

  it.each(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const)(
    '%s: verifies with RSA >= 2048, and refuses a flipped bit or other data',
    (alg) => {
      const signature = jwsSign(alg, rsa2048.privateKey, 'head.body');
      expect(keyFitsAlgorithm(rsa2048.publicKey, alg)).toBe(true);
      expect(verifySignature(alg, rsa2048.publicKey, 'head.body', signature)).toBe(true);
      expect(verifySignature(alg, rsa2048.publicKey, 'head.bodY', signature)).toBe(false);
      signature[10] ^= 1;
      expect(verifySignature(alg, rsa2048.publicKey, 'head.body', signature)).toBe(false);
    },
  );

  it('refuses RSA keys under 2048 bits, EC keys for RSA algorithms and the reverse, and other key types', () => {
    for (const alg of ['RS256', 'PS256'] as const) {
      expect(keyFitsAlgorithm(rsa1024.publicKey, alg)).toBe(false);
      expect(keyFitsAlgorithm(p256.publicKey, alg)).toBe(false);
      expect(keyFitsAlgorithm(ed25519.publicKey, alg)).toBe(false);
    }
    expect(keyFitsAlgorithm(rsa2048.publicKey, 'ES256')).toBe(false);
    expect(keyFitsAlgorithm(ed25519.publicKey, 'ES256')).toBe(false);
  });

  it.each([
    ['ES256', p256, p384],
    ['ES384', p384, p256],
  ] as const)('%s: verifies on its own curve only', (alg, right, wrong) => {
    const signature = jwsSign(alg, right.privateKey, 'a.b');
    expect(keyFitsAlgorithm(right.publicKey, alg)).toBe(true);
    expect(keyFitsAlgorithm(wrong.publicKey, alg)).toBe(false);
    expect(verifySignature(alg, right.publicKey, 'a.b', signature)).toBe(true);
    expect(verifySignature(alg, right.publicKey, 'a.c', signature)).toBe(false);
  });

  it('ES256: refuses a DER-encoded signature (JWS uses the raw r || s form)', () => {
    const der = sign('sha256', Buffer.from('a.b'), p256.privateKey);
    expect(verifySignature('ES256', p256.publicKey, 'a.b', der)).toBe(false);
  });

  it('PS*: requires the salt to be as long as the digest (RFC 7518 section 3.5)', () => {
    const zeroSalt = jwsSign('PS256', rsa2048.privateKey, 'a.b', 0);
    const longSalt = jwsSign('PS256', rsa2048.privateKey, 'a.b', 64);
    expect(verifySignature('PS256', rsa2048.publicKey, 'a.b', zeroSalt)).toBe(false);
    expect(verifySignature('PS256', rsa2048.publicKey, 'a.b', longSalt)).toBe(false);
    expect(verifySignature('PS256', rsa2048.publicKey, 'a.b', jwsSign('PS256', rsa2048.privateKey, 'a.b', 32))).toBe(
      true,
    );
  });

  it('RS256: a PKCS#1 v1.5 signature does not pass as PS256, nor the reverse', () => {
    expect(verifySignature('PS256', rsa2048.publicKey, 'a.b', jwsSign('RS256', rsa2048.privateKey, 'a.b'))).toBe(false);
    expect(verifySignature('RS256', rsa2048.publicKey, 'a.b', jwsSign('PS256', rsa2048.privateKey, 'a.b'))).toBe(false);
  });
});
