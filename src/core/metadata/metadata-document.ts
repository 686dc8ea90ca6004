import { certificateToJwk, type OAuthCertificate } from '../certificates/oauth-certificate';
import { formatPrincipal } from '../principal-names';

/** One key entry of a Microsoft auth-metadata document, in Exchange's spelling. */
export interface MetadataKey {
  usage: 'signing';
  keyinfo: { x5t: string };
  keyvalue: { type: 'x509Certificate'; value: string };
}

/** The Microsoft auth-metadata document (`GET /metadata/json/1`) as we publish it. */
export interface MetadataDocument {
  id: string;
  version: '1.0';
  name: string;
  realm: string;
  serviceName: string;
  issuer: string;
  allowedAudiences: string[];
  keys: MetadataKey[];
  endpoints: Array<{ location: string; protocol: 'OAuth2'; usage: 'metadata' }>;
}

/** What a metadata document describes. */
export interface MetadataSubject {
  serviceName: string;
  realm: string;
  additionalRealms: readonly string[];
  certificates: readonly OAuthCertificate[];
}

/**
 * Builds our metadata document in the Microsoft format, with Exchange's lower-case `keyinfo` /
 * `keyvalue` spelling, listing every published certificate (current, previous and scheduled next).
 */
export function buildMetadataDocument(subject: MetadataSubject, metadataUrl: string): MetadataDocument {
  return {
    id: `_${subject.serviceName}`,
    version: '1.0',
    name: subject.serviceName,
    realm: subject.realm,
    serviceName: subject.serviceName,
    issuer: formatPrincipal(subject.serviceName, subject.realm),
    allowedAudiences: [subject.realm, ...subject.additionalRealms].map((r) => formatPrincipal(subject.serviceName, r)),
    keys: subject.certificates.map((c) => ({
      usage: 'signing',
      keyinfo: { x5t: c.x5t },
      keyvalue: { type: 'x509Certificate', value: c.der.toString('base64') },
    })),
    endpoints: [{ location: metadataUrl, protocol: 'OAuth2', usage: 'metadata' }],
  };
}

/** A standard JWKS (RFC 7517) of the published certificates, for non-Microsoft partners. */
export function buildJwks(certificates: readonly OAuthCertificate[]): { keys: ReturnType<typeof certificateToJwk>[] } {
  return { keys: certificates.map(certificateToJwk) };
}
