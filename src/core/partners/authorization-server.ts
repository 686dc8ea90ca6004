import { redactUrl } from './redact-url';
import type NodeCache from 'node-cache';
import type { Clock } from '../clock';
import type { AuthorizationServerConfig } from '../config/config-schema';
import type { MaybePromise } from '../maybe-async';
import {
  KeySourceUnavailable,
  RemoteDocumentSource,
  RemoteKeySource,
  type KeySource,
  type RemoteKeySourceSettings,
} from './key-source';
import { deepFreeze } from '../tokens/principal';
import { memberIgnoringCase, parseJwks, parseMetadataDocument, type KeySet } from './verification-key';

/** What an authorization server's metadata tells us. */
export interface AuthorizationServerMetadata {
  /** The exact `iss` of its tokens. */
  issuer: string;
  /** Where client-credentials tokens are requested. */
  tokenEndpoint?: string;
  /** OpenID / RFC 8414 servers publish keys at a JWKS URL ... */
  jwksUri?: string;
  /** ... Microsoft (ACS) documents carry them inline. */
  keys?: KeySet;
}

/**
 * Reads OpenID Connect discovery / RFC 8414 metadata (`issuer`, `jwks_uri`, `token_endpoint`) or
 * a Microsoft auth-metadata document (`issuer`, inline keys, an `endpoints` entry with `usage`
 * `issuance` for the token endpoint).
 */
export function parseAuthorizationServerMetadata(document: unknown): AuthorizationServerMetadata {
  const doc = document as Record<string, unknown>;
  if (typeof doc?.issuer === 'string' && typeof doc.jwks_uri === 'string') {
    return {
      issuer: doc.issuer,
      jwksUri: doc.jwks_uri,
      ...(typeof doc.token_endpoint === 'string' && { tokenEndpoint: doc.token_endpoint }),
    };
  }
  const issuer = memberIgnoringCase(doc, 'issuer');
  if (typeof issuer !== 'string') throw new Error('not authorization-server metadata: no issuer');
  const endpoints = memberIgnoringCase(doc, 'endpoints');
  const issuance = Array.isArray(endpoints)
    ? endpoints.find(
        (e) =>
          String(memberIgnoringCase(e, 'usage')).toLowerCase() === 'issuance' &&
          typeof memberIgnoringCase(e, 'location') === 'string',
      )
    : undefined;
  return {
    issuer,
    keys: parseMetadataDocument(doc),
    ...(issuance && { tokenEndpoint: memberIgnoringCase(issuance, 'location') as string }),
  };
}

/** One client an authorization server vouches for, as we treat it. */
export type AuthorizationServerClient = AuthorizationServerConfig['clients'][number];

/**
 * A configured authorization server: its metadata and keys (cached like partner keys: TTL,
 * single flight, stale-if-error, cooldown), the clients it vouches for, and the audiences it
 * may issue for us. Its tokens are checked only with its own keys.
 */
export class AuthorizationServer {
  /** Its metadata, fetched and cached like partner keys. */
  readonly metadata: RemoteDocumentSource<AuthorizationServerMetadata>;
  /** Its signing keys (inline in Microsoft metadata, else its JWKS). */
  readonly keySource: KeySource;
  private jwks: RemoteKeySource | undefined;

  constructor(
    /** Its configuration. */
    readonly config: Readonly<AuthorizationServerConfig>,
    private readonly settings: RemoteKeySourceSettings,
    private readonly cache: NodeCache,
    private readonly clock: Clock,
  ) {
    deepFreeze(config);
    this.metadata = new RemoteDocumentSource(
      { kind: 'authorization-server', url: config.metadataUrl, owner: config.name },
      parseAuthorizationServerMetadata,
      settings,
      cache,
      clock,
    );
    this.keySource = {
      description: redactUrl(config.metadataUrl),
      fresh: () => {
        const metadata = this.metadata.fresh();
        return metadata && (metadata.keys ?? this.jwksOf(metadata)?.fresh());
      },
      get: async () => {
        const metadata = await this.metadata.get();
        return metadata.keys ?? this.jwksOf(metadata)!.get();
      },
      refresh: async () => {
        const metadata = await this.metadata.get();
        // Inline keys (ACS) change with the document; a JWKS changes on its own.
        return metadata.keys
          ? ((await this.metadata.refresh()).keys ?? metadata.keys)
          : this.jwksOf(metadata)!.refresh();
      },
    };
  }

  /** The issuer, if the metadata is in memory (no I/O). */
  knownIssuer(): string | undefined {
    return this.metadata.fresh()?.issuer;
  }

  /** The configured client with this id, or `undefined` when the server does not vouch for it here. */
  client(clientId: string): AuthorizationServerClient | undefined {
    return this.config.clients.find((c) => c.clientId === clientId);
  }

  private jwksOf(metadata: AuthorizationServerMetadata): RemoteKeySource | undefined {
    if (!metadata.jwksUri) return undefined;
    if (this.jwks?.description !== metadata.jwksUri)
      this.jwks = new RemoteKeySource(
        { kind: 'jwks', url: metadata.jwksUri, owner: this.config.name },
        parseJwks,
        this.settings,
        this.cache,
        this.clock,
      );
    return this.jwks;
  }
}

/** What {@link AuthorizationServers.findByIssuer} found. */
export type ServerMatch =
  | {
      /** The server whose issuer it is. */
      server: AuthorizationServer;
    }
  | {
      /** None. */
      server?: undefined;
      /** Why a server's metadata could not be read, if one could not. */
      unavailable?: unknown;
    };

/** The configured authorization servers, found by the exact `iss` of a token. */
export class AuthorizationServers {
  private servers: AuthorizationServer[];

  constructor(
    configs: readonly AuthorizationServerConfig[],
    private readonly settings: RemoteKeySourceSettings,
    private readonly cache: NodeCache,
    private readonly clock: Clock,
  ) {
    this.servers = configs.map((c) => new AuthorizationServer(c, settings, cache, clock));
  }

  /**
   * Installs a reloaded list at once: an unchanged server keeps its object (and what it learned),
   * a changed or new one is built afresh (its documents stay cached by URL). Returns whether
   * anything changed. Called by `S2SAuth.reload()`.
   * @internal
   */
  replaceAll(configs: readonly AuthorizationServerConfig[]): boolean {
    const same = (a: AuthorizationServerConfig, b: AuthorizationServerConfig) =>
      JSON.stringify(a) === JSON.stringify(b);
    const next = configs.map(
      (c) =>
        this.servers.find((s) => same(s.config, c)) ??
        new AuthorizationServer(c, this.settings, this.cache, this.clock),
    );
    const changed = next.length !== this.servers.length || next.some((s, i) => s !== this.servers[i]);
    this.servers = next;
    return changed;
  }

  /** Starts fetching every server's metadata in the background, so the first token need not wait; failures are retried on demand. */
  prefetch(): void {
    for (const server of this.servers) server.metadata.get().catch(() => undefined);
  }

  /** The server configured under `name`. */
  get(name: string): AuthorizationServer | undefined {
    return this.servers.find((s) => s.config.name === name);
  }

  /** The server whose metadata `issuer` is exactly `iss`: synchronously if its metadata is cached. */
  findKnown(iss: string): AuthorizationServer | undefined {
    return this.servers.find((s) => s.knownIssuer() === iss);
  }

  /**
   * Like {@link findKnown}, fetching the metadata of servers not yet known. Resolves as soon as
   * one server's metadata names `iss` (a hung server never delays another's tokens); otherwise,
   * once every fetch has settled, reports an outage if one could not be read.
   */
  findByIssuer(iss: string): MaybePromise<ServerMatch> {
    const known = this.findKnown(iss);
    if (known) return { server: known };
    const unknown = this.servers.filter((s) => s.knownIssuer() === undefined);
    if (unknown.length === 0) return {};
    return new Promise<ServerMatch>((resolve, reject) => {
      let pending = unknown.length;
      let unavailable: unknown;
      const settled = () => {
        if (--pending === 0) resolve(unavailable === undefined ? {} : { unavailable });
      };
      for (const server of unknown) {
        server.metadata.get().then(
          (metadata) => {
            if (metadata.issuer === iss) resolve({ server });
            settled();
          },
          (error: unknown) => {
            if (!(error instanceof KeySourceUnavailable)) return reject(error);
            unavailable ??= error;
            settled();
          },
        );
      }
    });
  }
}
