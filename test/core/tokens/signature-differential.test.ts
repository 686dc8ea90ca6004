import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { jwsSign } from '../../helpers/tokens';
import { compactVerify } from 'jose';
import { parseCompactJws } from '../../../src/core/tokens/compact-jws';
import {
  isAllowedAlgorithm,
  keyFitsAlgorithm,
  verifySignature,
  type AllowedAlgorithm,
} from '../../../src/core/tokens/signature-algorithms';

/*
 * A differential test of our home-grown signature path (compact parsing + node:crypto) against
 * jose's: for thousands of random tokens and mutations, the verdicts must agree. The one place we
 * are stricter on purpose (a non-canonical base64url signature) is asserted separately.
 */

const ALGS: AllowedAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];
const TOKENS_PER_ALG = 150;

/** A deterministic pseudo-random source, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
  return {
    int: (n: number) => next() % n,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => next() % 256)),
  };
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const keysFor = (alg: AllowedAlgorithm) => (alg === 'ES256' ? p256 : alg === 'ES384' ? p384 : rsa);

function signToken(alg: AllowedAlgorithm, key: KeyObject, header: object, payload: object): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${jwsSign(alg, key, input).toString('base64url')}`;
}

/** Our verdict, as the verifier reaches it: parse, the allow-list, the key's fit, the signature. */
function ours(token: string, key: KeyObject, expected: AllowedAlgorithm): boolean {
  let jws;
  try {
    jws = parseCompactJws(token);
  } catch {
    return false;
  }
  const alg = jws.header.alg;
  return (
    isAllowedAlgorithm(alg) &&
    alg === expected &&
    keyFitsAlgorithm(key, alg) &&
    verifySignature(alg, key, jws.signingInput, jws.signature)
  );
}

async function jose(token: string, key: KeyObject, alg: AllowedAlgorithm): Promise<boolean> {
  return compactVerify(token, key, { algorithms: [alg] }).then(
    () => true,
    () => false,
  );
}

/** Mutations that keep every part in the canonical base64url alphabet. */
function mutations(token: string, r: ReturnType<typeof random>, alg: AllowedAlgorithm): string[] {
  const [h, p, s] = token.split('.') as [string, string, string];
  const flip = (part: string) => {
    const bytes = Buffer.from(part, 'base64url');
    if (bytes.length === 0) return part;
    bytes[r.int(bytes.length)] ^= 1 << r.int(8);
    return bytes.toString('base64url');
  };
  const header = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const otherAlg = ALGS[r.int(ALGS.length)]!;
  return [
    token,
    `${h}.${p}.${flip(s)}`,
    `${h}.${flip(p)}.${s}`,
    `${flip(h)}.${p}.${s}`,
    `${h}.${p}.${Buffer.from(s, 'base64url')
      .subarray(0, -1 - r.int(4))
      .toString('base64url')}`,
    `${h}.${p}.${Buffer.concat([Buffer.from(s, 'base64url'), r.bytes(1 + r.int(3))]).toString('base64url')}`,
    `${h}.${p}.${r.bytes(Buffer.from(s, 'base64url').length).toString('base64url')}`,
    `${header({ alg: otherAlg, typ: 'JWT' })}.${p}.${s}`,
    `${header({ alg })}.${p}.${s}`,
    `${p}.${h}.${s}`,
    `${h}.${p}.`,
    signToken(
      alg,
      alg.startsWith('ES') ? (alg === 'ES256' ? p384 : p256).privateKey : otherRsa.privateKey,
      { alg: alg.startsWith('ES') ? (alg === 'ES256' ? 'ES384' : 'ES256') : alg },
      { iss: 'x' },
    ),
  ];
}

describe("our signature verdict equals jose's", () => {
  it.each(ALGS)('%s: random tokens and their mutations', async (alg) => {
    const r = random(ALGS.indexOf(alg) + 1);
    const { privateKey, publicKey } = keysFor(alg);
    let compared = 0;
    let accepted = 0;
    for (let i = 0; i < TOKENS_PER_ALG; i++) {
      const payload = { iss: `p-${r.int(1e6)}`, n: r.int(1e9), pad: r.bytes(r.int(64)).toString('base64') };
      const token = signToken(alg, privateKey, { alg, typ: 'JWT', kid: `k${r.int(100)}` }, payload);
      for (const candidate of mutations(token, r, alg)) {
        const [a, b] = [ours(candidate, publicKey, alg), await jose(candidate, publicKey, alg)];
        if (a !== b) throw new Error(`verdicts differ (ours ${a}, jose ${b}) for ${alg} token ${candidate}`);
        compared++;
        if (a) accepted++;
      }
    }
    expect(compared).toBe(TOKENS_PER_ALG * 12);
    // The unmutated token, and the ones whose mutation left the signed bytes as they were, verify.
    expect(accepted).toBeGreaterThanOrEqual(TOKENS_PER_ALG);
    expect(accepted).toBeLessThan(compared / 4);
  });

  it('refuses a non-canonical spelling of a valid signature, which jose accepts: the one difference, on purpose', async () => {
    const { privateKey, publicKey } = keysFor('RS256');
    const token = signToken('RS256', privateKey, { alg: 'RS256' }, { iss: 'x' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) | 1]}`;
    expect(ours(sibling, publicKey, 'RS256')).toBe(false);
    expect(await jose(sibling, publicKey, 'RS256')).toBe(true);
  });
});
