import type { PemSource } from '../certificates/pem-source';

/*
 * The configuration as written, as documented interfaces: what an editor shows on hover. The zod
 * schema (config-schema.ts) validates it; a type test (test/types/config-input.ts) keeps the two
 * in step, field by field.
 */

/** How much a partner is trusted (shared/PROTOCOL.md). */
export type TrustLevel = 'Full' | 'Application' | 'User';

/**
 * A key that never enters the process: in a PKCS#11 token (an HSM; signed with by
 * `s2s-oauth/pkcs11`, whose optional peer `pkcs11js` must be installed), or behind a signer the
 * application passes in code (`createS2SAuth(config, { signers: { [name]: signer } })`, e.g.
 * over AWS KMS or Azure Key Vault).
 */
export type SignerInput =
  | {
      /** A key in a PKCS#11 token. */
      kind: 'pkcs11';
      /** The PKCS#11 module (a shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
      module: string;
      /** The token's label (or give `slot`). */
      token?: string;
      /** The token's slot id (or give `token`). */
      slot?: number;
      /** The private key's label, `CKA_LABEL` (or give `keyId`). */
      key?: string;
      /** The private key's id, `CKA_ID`, in hex (or give `key`). */
      keyId?: string;
      /** The user PIN, from an environment variable only: never written in the file, never printed. */
      pin: {
        /** The variable's name. */
        env: string;
      };
      /** How long one signature may take before the call fails (`signing_failed`). Default 5000. */
      timeoutMs?: number;
    }
  | {
      /** A signer passed in code. */
      kind: 'external';
      /** Its name in `createS2SAuth(config, { signers })`. */
      name: string;
      /** How long one signature may take before the call fails (`signing_failed`). Default 5000. */
      timeoutMs?: number;
    };

/** A certificate and its private key: in the process (`privateKey`) or outside it (`signer`), exactly one. */
export interface CertificatePairInput {
  /** The PEM certificate: a file path (relative to the configuration file), `{ pem }` or `{ env }`. */
  certificate: PemSource;
  /** The PEM private key: a file path, `{ pem }` or `{ env }`. Never printed, not even its path. */
  privateKey?: PemSource;
  /** Where the key lives instead, when it never enters the process (an HSM, a key vault). */
  signer?: SignerInput;
}

/** The scheduled next signing certificate. */
export interface NextCertificateInput extends CertificatePairInput {
  /** When it starts signing: ISO 8601 with an offset, e.g. `2026-12-01T00:00:00Z`. */
  effectiveAt: string;
}

/** Our signing certificate, and optionally the next one. */
export interface SigningInput extends CertificatePairInput {
  /**
   * The scheduled next certificate: published at once, signing from `effectiveAt` (ISO 8601 with an
   * offset, before the current certificate expires). At least 24 hours ahead is wise, so every
   * partner's key cache sees it first.
   */
  next?: NextCertificateInput;
}

/** Where a partner's verification keys come from. */
export type KeySourceInput =
  /** Certificates given in the configuration (paths, `{ pem }` or `{ env }`; PEM bundles allowed). */
  | {
      /** Keys from certificates in the configuration. */
      kind: 'certificate';
      /** The certificates: paths, `{ pem }` or `{ env }`. */
      certificates: PemSource[];
    }
  /** A JWKS URL (RFC 7517). */
  | {
      /** Keys from a JWKS. */
      kind: 'jwks';
      /** Its URL (https, or http to an allowed host). */
      url: string;
    }
  /** A Microsoft auth-metadata document URL (`/metadata/json/1`): keys, and the partner's id and realm. */
  | {
      /** Keys (and identity) from a metadata document. */
      kind: 'metadata';
      /** Its URL (https, or http to an allowed host). */
      url: string;
    };

/** How a partner is called. */
export type OutboundInput =
  /** With tokens our built-in issuer signs (the default). */
  | {
      /** Our own tokens. */
      kind: 'self-issued';
    }
  /**
   * With client-credentials tokens from the authorization server named `server`, asking for
   * `resource` (RFC 8707; default, when no `scope` is given: the called URL's origin) and/or `scope`.
   */
  | {
      /** Tokens from an authorization server. */
      kind: 'authorization-server';
      /** The server's `name` in `authorizationServers`. */
      server: string;
      /** The RFC 8707 resource to ask for. */
      resource?: string;
      /** The scope to ask for. */
      scope?: string;
    };

/** A partner application: a service we exchange tokens with directly. */
export interface PartnerConfigInput {
  /** Our name for it: letters, digits, `.`, `_`, `-`; unique. */
  name: string;
  /** Its principal id. Required unless `keySource.kind` is `metadata` (its document names it). */
  applicationId?: string;
  /** Its realm. Default: from its metadata document, else discovered from its challenge when we call it. */
  realm?: string;
  /** Where its verification keys come from. Without one, its tokens are refused (`key_not_found`). */
  keySource?: KeySourceInput;
  /** What it may do: `Full`, `Application` or `User`. Deliberately no default. */
  trustLevel: TrustLevel;
  /** A disabled partner's tokens are refused at once, cached ones included, and it is not called. Default `true`. */
  enabled?: boolean;
  /** What it may call, checked by `requirePermission` (Exchange's AppOnly / ActAs permissions). Default `[]`. */
  permissions?: string[];
  /** Client ids it signs for (SharePoint high-trust add-ins), accepted as the acting principal. Default `[]`. */
  clientIds?: string[];
  /** This partner's cap on `exp - nbf`, in seconds, up to 48 h (Exchange's 24-hour actor tokens). Default: `tokens.maxInboundLifetimeSeconds`. */
  maxTokenLifetimeSeconds?: number;
  /** Speak Microsoft's legacy forms with it (the unsigned outer user token, string times), both ways. Default `false`. */
  legacyTokens?: boolean;
  /** Remember each signed `jti` until expiry and refuse a replay; such tokens are never served from the verified-token cache. Default `false`. */
  requireUniqueJti?: boolean;
  /** Where we call it: a URL is its when it has the same origin and lies at or under the path. Partners' base URLs may not overlap. Default `[]`. */
  baseUrls?: string[];
  /**
   * What `s2s-oauth check` calls (GET, with our token) to see whether the partner trusts us: a path,
   * with an optional query, appended to the first of `baseUrls`. Default: that base URL itself.
   */
  probePath?: string;
  /** How we obtain tokens to call it. Default `{ kind: 'self-issued' }`. */
  outbound?: OutboundInput;
}

/** A client an authorization server vouches for, as we accept it. */
export interface AuthorizationServerClientInput {
  /** Its `client_id` (or `azp` / `appid`) in the server's tokens. */
  clientId: string;
  /** Our name for it (events, `req.user.partner`). Default: the client id. */
  name?: string;
  /** What it may do; a `User`-trust client never calls as itself. */
  trustLevel: TrustLevel;
  /** What it may call, checked by `requirePermission`. Default `[]`. */
  permissions?: string[];
}

/** A third-party authorization server whose tokens we trust (cloud and hybrid set-ups). */
export interface AuthorizationServerConfigInput {
  /** Our name for it; unique. */
  name: string;
  /** Its OpenID Connect discovery / RFC 8414 document, or a Microsoft `/metadata/json/1` document (ACS). */
  metadataUrl: string;
  /** The `aud` values it issues for us (e.g. our resource URI). Default: our principal-id audiences. */
  audiences?: string[];
  /** Our client id there, for outbound client-credentials requests. Default `<serviceName>@<realm>`. */
  clientId?: string;
  /** The clients it vouches for that we accept. Default `[]`. */
  clients?: AuthorizationServerClientInput[];
}

/** Lifetimes and limits of tokens, ours and partners'. */
export interface TokensInput {
  /** Lifetime of the tokens we mint, in seconds (at most 3600). Default `300`. */
  lifetimeSeconds?: number;
  /** Tolerated clock difference when checking `nbf`, `exp`, `iat` and certificate validity (at most 600). Default `60`. */
  clockSkewSeconds?: number;
  /** Longest `exp - nbf` we accept from partners and servers (a partner can set its own). Default `3600`. */
  maxInboundLifetimeSeconds?: number;
  /** Longest token we parse (512-65536; Node itself answers 431 above ~16 KB of headers). Default `8192`. */
  maxTokenBytes?: number;
}

/** How partner keys and server metadata are fetched and cached. */
export interface KeySourcesInput {
  /** How long fetched keys are fresh, in seconds. Default `3600`. */
  ttlSeconds?: number;
  /** Least time between refreshes caused by an unknown key id or a failed fetch, in seconds. Default `30`. */
  refreshCooldownSeconds?: number;
  /** How long keys past their TTL still serve while refreshes fail, in seconds. Default `21600`. */
  staleIfErrorSeconds?: number;
  /** Fetch timeout, in ms. Default `5000`. */
  timeoutMs?: number;
  /** Largest document accepted, in bytes (also caps token-endpoint replies). Default `262144`. */
  maxResponseBytes?: number;
  /** Hosts that may be fetched over plain `http:`, as bare host names (`127.0.0.1`, `[::1]`). Default `[]`. */
  allowInsecureHosts?: string[];
}

/** How we call partners. */
export interface OutboundSettingsInput {
  /** Hosts partners may be called at over plain `http:`, as bare host names. Default `[]`. */
  allowInsecureHosts?: string[];
  /** Start refreshing a cached token this long before it expires, in seconds. Default `60`. */
  refreshBeforeExpirySeconds?: number;
  /** Up to this much earlier again, at random, so tokens do not refresh together. Default `15`. */
  refreshJitterSeconds?: number;
  /** Bound of the outbound token cache. Default `10000`. */
  maxCachedTokens?: number;
  /** Timeout of realm discovery, in ms. Default `5000`. */
  discoveryTimeoutMs?: number;
}

/**
 * The configuration of one service, as written (a JSON file for `loadConfig`, or an object for
 * `createS2SAuth`). Every field is validated at start-up; see the README's configuration table.
 */
export interface S2SConfigInput {
  /** Our realm. Default: `hostnames[0]` without its host label, never a public suffix; required for an IP address or `localhost`. */
  realm?: string;
  /** Further realms we accept tokens for (our certificate's DNS SANs are added too). Default `[]`. */
  additionalRealms?: string[];
  /** Our principal id (usually a GUID): `iss` of our tokens is `<serviceName>@<realm>`. */
  serviceName: string;
  /** The hosts partners address us by (`host` or `host:port`, no scheme or path): the host part of audiences. */
  hostnames: string[];
  /** Our OAuth certificate and key (RSA >= 2048 or EC P-256; refused if expired or mismatched). */
  signing: SigningInput;
  /** Lifetimes and limits of tokens. */
  tokens?: TokensInput;
  /** Fetching and caching of partner keys and server metadata. */
  keySources?: KeySourcesInput;
  /** Calling partners. */
  outbound?: OutboundSettingsInput;
  /**
   * The verified-token cache: a token is served from it from its third use (its second
   * verification caches it; a token sent once is never hashed nor held).
   */
  verifiedTokenCache?: {
    /** Its bound (`0` disables it); the filter remembering first verifications adds 16-32 bytes per entry. Default `10000`. */
    maxEntries?: number;
  };
  /** The in-process replay store, and how long any store may take to answer. */
  replayCache?: {
    /** Bound of the in-process store (about 15 MB full); when every id is live, new tokens get 503. Default `100000`. */
    maxEntries?: number;
    /** How long the replay store may take to answer before a 503 `replay_store_unavailable`. Default `1000`. */
    timeoutMs?: number;
  };
  /** The partner applications we trust and call. Default `[]`. */
  partners?: PartnerConfigInput[];
  /** Authorization servers (cloud and hybrid). Default `[]`. */
  authorizationServers?: AuthorizationServerConfigInput[];
}

/*
 * The configuration after validation, defaults filled in: the input types with their defaulted
 * fields made required (the type test keeps these equal to what the schema produces too).
 */

/** Partner fields that have a default. */
export type PartnerDefaults =
  'enabled' | 'permissions' | 'clientIds' | 'legacyTokens' | 'requireUniqueJti' | 'baseUrls' | 'outbound';

/** One partner application, defaults filled in. */
export type PartnerConfig = Omit<PartnerConfigInput, PartnerDefaults> &
  Required<Pick<PartnerConfigInput, PartnerDefaults>>;
/** Where a partner's verification keys come from. */
export type KeySourceConfig = KeySourceInput;
/** How a partner is called: self-issued tokens, or tokens from an authorization server. */
export type OutboundConfig = OutboundInput;
/** A client an authorization server vouches for, defaults filled in. */
export type AuthorizationServerClient = Omit<AuthorizationServerClientInput, 'permissions'> &
  Required<Pick<AuthorizationServerClientInput, 'permissions'>>;

/** The fields of an authorization server that have a default, filled in. */
export interface AuthorizationServerDefaults {
  /** See {@link AuthorizationServerConfigInput.audiences}. */
  audiences: string[];
  /** See {@link AuthorizationServerConfigInput.clients}. */
  clients: AuthorizationServerClient[];
}
/** One authorization server, defaults filled in. */
export type AuthorizationServerConfig = Omit<AuthorizationServerConfigInput, 'audiences' | 'clients'> &
  AuthorizationServerDefaults;

/** The sections and lists of a configuration that have defaults, filled in. */
export interface S2SConfigDefaults {
  /** See {@link S2SConfigInput.additionalRealms}. */
  additionalRealms: string[];
  /** See {@link S2SConfigInput.tokens}. */
  tokens: Required<TokensInput>;
  /** See {@link S2SConfigInput.keySources}. */
  keySources: Required<KeySourcesInput>;
  /** See {@link S2SConfigInput.outbound}. */
  outbound: Required<OutboundSettingsInput>;
  /** See {@link S2SConfigInput.verifiedTokenCache}. */
  verifiedTokenCache: Required<NonNullable<S2SConfigInput['verifiedTokenCache']>>;
  /** See {@link S2SConfigInput.replayCache}. */
  replayCache: Required<NonNullable<S2SConfigInput['replayCache']>>;
  /** See {@link S2SConfigInput.partners}. */
  partners: PartnerConfig[];
  /** See {@link S2SConfigInput.authorizationServers}. */
  authorizationServers: AuthorizationServerConfig[];
}
/** The configuration after validation, with every default filled in. */
export type S2SConfig = Omit<S2SConfigInput, keyof S2SConfigDefaults> & S2SConfigDefaults;
