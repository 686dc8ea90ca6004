import { parseCompactJws } from '../../../src/core/tokens/compact-jws';
import { TokenError } from '../../../src/core/errors/token-error';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const refusal = (token: string) => {
  try {
    parseCompactJws(token);
  } catch (e) {
    expect(e).toBeInstanceOf(TokenError);
    return (e as TokenError).code + ': ' + (e as TokenError).message;
  }
  return 'accepted';
};

describe('compact JWS parsing', () => {
  it('splits a token into header, payload, the signed bytes and the signature', () => {
    const token = `${b64({ alg: 'RS256' })}.${b64({ iss: 'x' })}.${Buffer.from([1, 2, 3, 4]).toString('base64url')}`;
    const jws = parseCompactJws(token);
    expect(jws.header).toEqual({ alg: 'RS256' });
    expect(jws.payload).toEqual({ iss: 'x' });
    expect(jws.signingInput).toBe(token.slice(0, token.lastIndexOf('.')));
    expect([...jws.signature]).toEqual([1, 2, 3, 4]);
    expect(jws.unsigned).toBe(false);
    expect(parseCompactJws(`${b64({ alg: 'none' })}.${b64({})}.`).unsigned).toBe(true);
  });

  it.each([
    ['two parts', `${b64({})}.${b64({})}`, 'not a compact JWS of three parts'],
    ['four parts', `${b64({})}.${b64({})}.c2ln.c2ln`, 'not a compact JWS of three parts'],
    ['no dot', 'abc', 'not a compact JWS of three parts'],
    ['a header that is not base64url', `${b64({})}+.${b64({})}.c2ln`, 'the header is not base64url'],
    ['padding', `${b64({})}.${b64({})}.c2ln=`, 'the signature is not canonical base64url'],
    ['a standard-base64 signature', `${b64({})}.${b64({})}.ab+/`, 'the signature is not canonical base64url'],
    ['a signature with unused bits set', `${b64({})}.${b64({})}.AB`, 'the signature is not canonical base64url'],
    ['a lone sextet', `${b64({})}.${b64({})}.AAAAA`, 'the signature is not canonical base64url'],
    ['a header that is not JSON', `${b64('{nope')}.${b64({})}.c2ln`, 'the header is not JSON'],
    ['an empty header', `.${b64({})}.c2ln`, 'the header is not JSON'],
    ['a payload that is not base64url', `${b64({})}.${b64({})}~.c2ln`, 'the payload is not base64url'],
    ['a payload that is an array', `${b64({})}.${b64([1])}.c2ln`, 'the payload is not a JSON object'],
    ['a payload that is null', `${b64({})}.${b64('null')}.c2ln`, 'the payload is not a JSON object'],
    ['a payload that is a string', `${b64({})}.${b64('"x"')}.c2ln`, 'the payload is not a JSON object'],
  ])('refuses %s', (_label, token, message) => {
    expect(refusal(token)).toBe(`token_malformed: ${message}`);
  });

  it('accepts every canonical spelling of 0 to 4 signature bytes', () => {
    for (let n = 0; n <= 4; n++) {
      for (let value = 0; value < 256; value += 51) {
        const signature = Buffer.alloc(n, value).toString('base64url');
        expect(refusal(`${b64({})}.${b64({})}.${signature}`)).toBe('accepted');
      }
    }
  });

  it('keeps the last of duplicate JSON members, as JSON.parse does (the signature covers the text)', () => {
    expect(parseCompactJws(`${b64('{"alg":"none","alg":"RS256"}')}.${b64({})}.c2ln`).header.alg).toBe('RS256');
  });

  it('decodes a header once for the tokens that share it, frozen, and never gives a token another header', () => {
    const rs = b64({ alg: 'RS256', kid: 'one' });
    const es = b64({ alg: 'ES256', kid: 'two' });
    const first = parseCompactJws(`${rs}.${b64({ n: 1 })}.c2ln`);
    const second = parseCompactJws(`${rs}.${b64({ n: 2 })}.c2ln`);
    expect(second.header).toBe(first.header);
    expect(Object.isFrozen(first.header)).toBe(true);
    expect(second.payload).toEqual({ n: 2 });
    // Alternating headers, and more distinct headers than are kept: each token reads its own.
    for (let i = 0; i < 200; i++) {
      const own = i % 3 === 0 ? rs : i % 3 === 1 ? es : b64({ alg: 'PS256', kid: `k${i}` });
      expect(parseCompactJws(`${own}.${b64({ i })}.c2ln`).header).toEqual(
        JSON.parse(Buffer.from(own, 'base64url').toString()),
      );
    }
    expect(refusal(`${b64('{nope')}.${b64({})}.c2ln`)).toBe('token_malformed: the header is not JSON'); // a bad header is never kept
    expect(refusal(`${b64('{nope')}.${b64({})}.c2ln`)).toBe('token_malformed: the header is not JSON');
  });
});
