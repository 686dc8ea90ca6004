import { systemClock, type Clock } from './core/clock';
import type { S2SConfigInput } from './core/config/config-schema';
import { parseConfig, type ResolvedConfig } from './core/config/parse-config';
import { loadSigningKeys } from './core/certificates/load-signing-keys';
import type { SigningKeyRing } from './core/certificates/signing-key-ring';
import { buildJwks, buildMetadataDocument, type MetadataDocument } from './core/metadata/metadata-document';
import { TokenIssuer } from './core/tokens/token-issuer';
import { createMetadataRouter, type MetadataRouterOptions } from './express/metadata-router';

/** Options of {@link createS2SAuth} that are not part of the configuration file. */
export interface S2SAuthOptions {
  /** Source of "now" (ms); inject one in tests to move time. Default `Date.now`. */
  clock?: Clock;
}

/**
 * Everything one service needs, built from its one configuration: the built-in token issuer,
 * the published metadata and (in later sections) inbound verification and outbound calls.
 *
 * @example
 * ```ts
 * const s2s = createS2SAuth(loadConfig('s2s.json'));
 * app.use(s2s.metadataRouter());
 * ```
 */
export class S2SAuth {
  /** The validated configuration, defaults filled in. */
  readonly config: ResolvedConfig;
  /** Every realm we accept tokens for: `realm`, `additionalRealms` and the signing certificate's DNS SANs. */
  readonly realms: readonly string[];
  /** The built-in token issuer. */
  readonly issuer: TokenIssuer;
  /** Our signing certificates and their rollover. */
  readonly signingKeys: SigningKeyRing;
  protected readonly clock: Clock;

  constructor(config: S2SConfigInput | ResolvedConfig, options: S2SAuthOptions = {}) {
    this.config = parseConfig(config);
    this.clock = options.clock ?? systemClock;
    this.signingKeys = loadSigningKeys(this.config.signing, this.clock);
    const sans = this.signingKeys.published().flatMap((c) => c.dnsNames);
    this.realms = [...new Set([this.config.realm, ...this.config.additionalRealms, ...sans])];
    this.issuer = new TokenIssuer(this.config.serviceName, this.config.realm, this.signingKeys, this.config.tokens.lifetimeSeconds, this.clock);
  }

  /** Our metadata document; `metadataUrl` is where it is served (default: `https://<first hostname>/metadata/json/1`). */
  metadataDocument(metadataUrl = `https://${this.config.hostnames[0]}/metadata/json/1`): MetadataDocument {
    return buildMetadataDocument(
      {
        serviceName: this.config.serviceName,
        realm: this.config.realm,
        additionalRealms: this.realms.slice(1),
        certificates: this.signingKeys.published(),
      },
      metadataUrl,
    );
  }

  /** Our published keys as a JWKS. */
  jwks() {
    return buildJwks(this.signingKeys.published());
  }

  /** An Express router serving `GET /metadata/json/1` and `GET /.well-known/jwks.json`. */
  metadataRouter(options?: MetadataRouterOptions) {
    return createMetadataRouter(this, options);
  }
}

/**
 * Builds an {@link S2SAuth} from a configuration (an object, or the result of `loadConfig`).
 * Validates everything and reads the certificate files once, at start-up; throws a
 * `ConfigError` naming the field on any problem.
 */
export function createS2SAuth(config: S2SConfigInput | ResolvedConfig, options?: S2SAuthOptions): S2SAuth {
  return new S2SAuth(config, options);
}
