import { audienceSubject, checkAudience } from '../../../src/core/tokens/claim-checks';
import { TokenError } from '../../../src/core/errors/token-error';

const ID = '11111111-1111-4111-8111-111111111111';
const us = audienceSubject(ID, ['contoso.com', 'fabrikam.com'], ['Mail.Contoso.com', '127.0.0.1:8443']);

function codeOf(aud: unknown): string {
  try {
    return checkAudience({ aud }, us);
  } catch (error) {
    return (error as TokenError).code;
  }
}

describe('checkAudience', () => {
  it('reads the spellings our own issuer writes without parsing them', () => {
    expect([...us.exactly].sort()).toEqual(
      [
        `${ID}@contoso.com`,
        `${ID}/mail.contoso.com@contoso.com`,
        `${ID}/127.0.0.1:8443@contoso.com`,
        `${ID}@fabrikam.com`,
        `${ID}/mail.contoso.com@fabrikam.com`,
        `${ID}/127.0.0.1:8443@fabrikam.com`,
      ].sort(),
    );
  });

  it('accepts every other spelling the full comparison accepts, and names the one that matched', () => {
    expect(codeOf(`${ID.toUpperCase()}/MAIL.contoso.com@contoso.com`)).toBe(
      `${ID.toUpperCase()}/MAIL.contoso.com@contoso.com`,
    );
    expect(codeOf(`${ID}/mail.contoso.com:443@contoso.com`)).toBe(`${ID}/mail.contoso.com:443@contoso.com`); // any port
    expect(codeOf(`${ID}@CONTOSO.COM`)).toBe(`${ID}@CONTOSO.COM`);
    expect(codeOf(['someone-else@contoso.com', `${ID}@fabrikam.com`])).toBe(`${ID}@fabrikam.com`);
  });

  it('refuses with the exact code: another service, another host, another port, another realm, no audience', () => {
    expect(codeOf(`22222222-2222-4222-8222-222222222222@contoso.com`)).toBe('audience_mismatch');
    expect(codeOf(`${ID}/im.contoso.com@contoso.com`)).toBe('audience_mismatch');
    expect(codeOf(`${ID}/127.0.0.1:9000@contoso.com`)).toBe('audience_mismatch');
    expect(codeOf(`${ID}/mail.contoso.com@northwind.com`)).toBe('realm_mismatch');
    expect(codeOf(undefined)).toBe('token_malformed');
    expect(codeOf([])).toBe('token_malformed');
  });

  it('never takes into its shortcut a spelling the full comparison would refuse', () => {
    // A principal id holding the host separator cannot be parsed back from an audience.
    const odd = audienceSubject('svc/x', ['contoso.com'], ['mail.contoso.com']);
    expect([...odd.exactly]).toEqual([]);
    expect(() => checkAudience({ aud: 'svc/x@contoso.com' }, odd)).toThrow(
      expect.objectContaining({ code: 'audience_mismatch' }),
    );
  });
});
