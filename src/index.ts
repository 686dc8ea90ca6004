/**
 * s2s-oauth: server-to-server OAuth for Express services, in the Microsoft S2S wire format.
 *
 * The entry exports what we mean to keep (every name is a semver promise): the facade, the
 * configuration, errors and their codes, the principal, events, and the types of what the facade
 * hands out. Internals stay internal. See README.md for the concepts and a quick start.
 * @packageDocumentation
 */

// The facade: one configuration, everything a service needs.
export { createS2SAuth, S2SAuth, type S2SAuthOptions, type Jwks, type ReloadResult } from './s2s-auth';

// Configuration.
export { loadConfig, parseConfig, type ResolvedConfig } from './core/config/parse-config';
export type {
  S2SConfig,
  S2SConfigInput,
  S2SConfigDefaults,
  PartnerConfig,
  PartnerConfigInput,
  PartnerDefaults,
  KeySourceConfig,
  KeySourceInput,
  OutboundConfig,
  OutboundInput,
  AuthorizationServerConfig,
  AuthorizationServerConfigInput,
  AuthorizationServerDefaults,
  AuthorizationServerClient,
  AuthorizationServerClientInput,
  CertificatePairInput,
  NextCertificateInput,
  SigningInput,
  TokensInput,
  KeySourcesInput,
  OutboundSettingsInput,
  TrustLevel,
} from './core/config/config-input';
export type { PemSource } from './core/certificates/pem-source';
export type { Clock } from './core/clock';

// Errors and codes.
export { ConfigError, type ConfigIssue } from './core/errors/config-error';
export {
  TokenError,
  TOKEN_ERROR_CODES,
  type TokenErrorCode,
  type TokenErrorCodeInfo,
  type TokenErrorOptions,
  type BearerErrorValue,
} from './core/errors/token-error';
export { PartnerFetchError } from './client/partner-fetch-error';

// Who is calling, and what the library reports.
export type { Principal } from './core/tokens/principal';
export type { UserIdentity } from './core/tokens/user-identity';
export type {
  S2SEvent,
  VerificationEvent,
  KeySourceEvent,
  CertificateEvent,
  OutboundEvent,
  FleetEvent,
  ReplayStoreEvent,
  ReloadEvent,
  PartnerCertificateEvent,
  PartnerChangeEvent,
  SigningCertificateEvent,
  KeySourceFailure,
  EventSink,
} from './core/events';

// Observability: the logger option, and the interface `s2s-oauth/telemetry` implements.
export type { Logger, LogMethod } from './core/logging/event-log';
export type { Instrumentation, SpanName, SpanAttributes, SpanRunner } from './core/instrumentation';

// What the facade hands out, by type.
export type { TokenVerifier, CheckStep, Explanation } from './core/tokens/token-verifier';
export type { MaybePromise } from './core/maybe-async';
export type { PartnerBearerStrategy, PassportActions } from './express/partner-bearer-strategy';
export type { PartnerFetch, PartnerFetchInit, GetTokenOptions } from './client/partner-fetch';
export type { PartnerRegistry, Partner, PartnerIdentity, IssuerMatch } from './core/partners/partner-registry';
export type { KeySource, RemoteDocumentSource } from './core/partners/key-source';
export type { KeySet, VerificationKey } from './core/partners/verification-key';
export type {
  AuthorizationServers,
  AuthorizationServer,
  AuthorizationServerMetadata,
  ServerMatch,
} from './core/partners/authorization-server';
export type { MetadataRouterOptions } from './express/metadata-router';
export type { MetadataDocument, MetadataKey } from './core/metadata/metadata-document';
export type { TokenAudience, MintOptions, MintedToken, TokenIssuer } from './core/tokens/token-issuer';
export type { SigningKeyRing, ScheduledCredential } from './core/certificates/signing-key-ring';
export type {
  OAuthCertificate,
  SigningCredential,
  SigningAlgorithm,
  PublicJwk,
} from './core/certificates/oauth-certificate';

// Shared state for a fleet: the store interfaces (Redis adapters in `s2s-oauth/redis`) and the in-process default.
export { MemoryReplayStore, type ReplayAnswer, type ReplayStore } from './core/caches/replay-store';
export type {
  PartnerStateStore,
  PartnerStateSnapshot,
  StoredPartnerRecord,
  PartnerChange,
  VersionedPartnerChange,
} from './core/partners/partner-state-store';

// Keys outside the process (an HSM, a key vault): the signer seam, and a certificate for such a key.
export { SigningError, type Signer } from './core/certificates/signer';
export type { SignerInput } from './core/config/config-input';

// The CLI story in code: `s2s-oauth cert new`.
export {
  createOAuthCertificate,
  createOAuthCertificateForSigner,
  type CreateCertificateOptions,
  type CreatedCertificate,
} from './core/certificates/create-certificate';
