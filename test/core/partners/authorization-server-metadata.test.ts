import { parseAuthorizationServerMetadata } from '../../../src/core/partners/authorization-server';
import { createOAuthCertificate } from '../../../src/core/certificates/create-certificate';
import { parseCertificate } from '../../../src/core/certificates/oauth-certificate';

describe('authorization-server metadata', () => {
  it('reads OpenID Connect discovery / RFC 8414', () => {
    expect(
      parseAuthorizationServerMetadata({
        issuer: 'https://login.example',
        jwks_uri: 'https://login.example/jwks',
        token_endpoint: 'https://login.example/token',
      }),
    ).toEqual({
      issuer: 'https://login.example',
      jwksUri: 'https://login.example/jwks',
      tokenEndpoint: 'https://login.example/token',
    });
  });

  it('reads a Microsoft (ACS) document: issuer, inline keys, the issuance endpoint, any spelling', async () => {
    const { certificatePem } = await createOAuthCertificate({ realm: 'contoso.com', name: 'acs' });
    const cert = parseCertificate(certificatePem, 'acs');
    const metadata = parseAuthorizationServerMetadata({
      Issuer: '00000001-0000-0000-c000-000000000000@contoso.com',
      keys: [
        {
          usage: 'signing',
          keyValue: { type: 'x509Certificate', value: cert.der.toString('base64'), keyInfo: { x5t: 'ignored' } },
        },
      ],
      endpoints: [
        { location: 'https://accounts.example/metadata/json/1', protocol: 'OAuth2', usage: 'metadata' },
        { location: 'https://accounts.example/tokens/OAuth/2', protocol: 'OAuth2', usage: 'issuance' },
      ],
    });
    expect(metadata.issuer).toBe('00000001-0000-0000-c000-000000000000@contoso.com');
    expect(metadata.tokenEndpoint).toBe('https://accounts.example/tokens/OAuth/2');
    expect(metadata.keys!.keys.map((k) => k.x5t)).toEqual([cert.x5t]);
  });

  it('refuses a document without an issuer', () => {
    expect(() => parseAuthorizationServerMetadata({ keys: [] })).toThrow(/no issuer/);
  });
});
