import { certificateToJwk, type OAuthCertificate, type PublicJwk } from '../certificates/oauth-certificate';
import { formatPrincipal } from '../principal-names';

/** One key entry of a Microsoft auth-metadata document, in Exchange's spelling. */
export interface MetadataKey {
  /** Always `signing`. */
  usage: 'signing';
  /** The key's identifier. */
  keyinfo: {
    /** base64url SHA-1 thumbprint of the certificate. */
    x5t: string;
  };
  /** The key itself. */
  keyvalue: {
    /** Always `x509Certificate`. */
    type: 'x509Certificate';
    /** The DER certificate, base64. */
    value: string;
  };
}

/** The Microsoft auth-metadata document (`GET /metadata/json/1`) as we publish it. */
export interface MetadataDocument {
  /** `_<serviceName>`. */
  id: string;
  /** Always `1.0`. */
  version: '1.0';
  /** Our principal id. */
  name: string;
  /** Our realm. */
  realm: string;
  /** Our principal id (what partners configure as our `applicationId`). */
  serviceName: string;
  /** `<serviceName>@<realm>`: the `iss` of our tokens. */
  issuer: string;
  /** The audiences we accept: `<serviceName>@<realm>` for every realm we serve. */
  allowedAudiences: string[];
  /** Our published certificates: current, previous and scheduled next. */
  keys: MetadataKey[];
  /** Where this document is served. */
  endpoints: Array<{
    /** Its URL. */
    location: string;
    /** Always `OAuth2`. */
    protocol: 'OAuth2';
    /** Always `metadata`. */
    usage: 'metadata';
  }>;
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
export function buildJwks(certificates: readonly OAuthCertificate[]): { keys: PublicJwk[] } {
  return { keys: certificates.map(certificateToJwk) };
}
