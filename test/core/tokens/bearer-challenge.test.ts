import { validateHeaderValue } from 'node:http';
import { createChallengeBuilder, quoteParameter } from '../../../src/core/tokens/bearer-challenge';

/** A random string of up to 40 code points from the whole Unicode range (surrogate halves included). */
function randomUnicode(seed: { value: number }): string {
  let out = '';
  const next = () => (seed.value = (seed.value * 1103515245 + 12345) % 2 ** 31);
  const length = next() % 40;
  for (let i = 0; i < length; i++) {
    const pick = next() % 4;
    const code =
      pick === 0
        ? next() % 0x80
        : pick === 1
          ? next() % 0x100
          : pick === 2
            ? 0xd800 + (next() % 0x800)
            : next() % 0x110000;
    out += code > 0xffff ? String.fromCodePoint(code) : String.fromCharCode(code);
  }
  return out;
}

describe('challenge builder', () => {
  const build = createChallengeBuilder({
    realm: 'contoso.com',
    clientId: '11111111-1111-4111-8111-111111111111',
    trustedIssuers: ['*@contoso.com'],
  });

  it('returns a header Node can send for any error description, realm or client id (10,000 random Unicode strings)', () => {
    const seed = { value: 7 };
    for (let i = 0; i < 10_000; i++) {
      const text = randomUnicode(seed);
      const challenges = [
        build('invalid_token', text),
        createChallengeBuilder({ realm: text, clientId: text, trustedIssuers: [text], authorizationUri: text })(
          'invalid_token',
          text,
        ),
      ];
      for (const value of challenges) {
        expect(() => validateHeaderValue('WWW-Authenticate', value)).not.toThrow();
        expect(value).toMatch(/^[\x20-\x7e]*$/);
      }
    }
  });

  it('escapes quotes and backslashes and keeps printable ASCII as it is', () => {
    expect(quoteParameter('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
    expect(quoteParameter('line\r\nbreak')).toBe('"line  break"');
    expect(quoteParameter('caf\u00e9 \u{1f600}')).toBe('"caf? ??"');
    expect(build('invalid_token', 'the token has expired')).toBe(
      'Bearer realm="contoso.com", client_id="11111111-1111-4111-8111-111111111111", trusted_issuers="*@contoso.com", error="invalid_token", error_description="the token has expired"',
    );
  });
});
