/**
 * s2s-oauth: server-to-server OAuth for Express services, in the Microsoft S2S wire format.
 * This module only re-exports; see README.md for the concepts and a quick start.
 * @packageDocumentation
 */
export { createS2SAuth, S2SAuth, type S2SAuthOptions } from './s2s-auth';
export { loadConfig, parseConfig, type ResolvedConfig } from './core/config/parse-config';
export type {
  S2SConfig,
  S2SConfigInput,
  PartnerConfig,
  PartnerConfigInput,
  KeySourceConfig,
  AuthorizationServerConfig,
  TrustLevel,
} from './core/config/config-schema';
export { ConfigError } from './core/errors/config-error';
export { systemClock, type Clock } from './core/clock';
export {
  parseCertificate,
  parseCertificateBundle,
  parseSigningCredential,
  certificateToJwk,
  type OAuthCertificate,
  type SigningCredential,
  type SigningAlgorithm,
} from './core/certificates/oauth-certificate';
export { createOAuthCertificate, type CreateCertificateOptions } from './core/certificates/create-certificate';
export { SigningKeyRing } from './core/certificates/signing-key-ring';
export { TokenIssuer, type MintOptions, type MintedToken, type TokenAudience } from './core/tokens/token-issuer';
export { formatAudience, formatPrincipal, parseName, type ParsedName } from './core/principal-names';
export type { UserIdentity } from './core/tokens/user-identity';
export { buildMetadataDocument, buildJwks, type MetadataDocument, type MetadataKey } from './core/metadata/metadata-document';
export { createMetadataRouter, type MetadataRouterOptions, type MetadataPublisher } from './express/metadata-router';
export { TokenError, TOKEN_ERROR_CODES, type TokenErrorCode, type BearerErrorValue } from './core/errors/token-error';
export { TokenVerifier, type TokenVerifierOptions, type VerificationEvent, type CheckStep } from './core/tokens/token-verifier';
export { checkRequirement, type Principal, type PrincipalRequirement } from './core/tokens/principal';
export { extractBearerToken, type BearerRequestLike } from './core/tokens/bearer-token';
export { createChallengeBuilder, quoteParameter, type ChallengeParameters } from './core/tokens/bearer-challenge';
export { PartnerRegistry, type Partner, type IssuerMatch } from './core/partners/partner-registry';
export { KeySourceUnavailable, type KeySource } from './core/partners/key-source';
export { KeySourceError } from './core/partners/fetch-document';
export type { VerificationKey, KeySet } from './core/partners/verification-key';
export { MemoryReplayStore, type ReplayStore } from './core/caches/replay-store';
export { PartnerBearerStrategy } from './express/partner-bearer-strategy';
export { createVerifyMiddleware } from './express/verify-middleware';
export { createGuard } from './express/guards';
export { createPartnerFetch, PartnerFetchError, type PartnerFetch, type PartnerFetchInit, type GetTokenOptions, type PartnerFetchDependencies } from './client/partner-fetch';
export { OutboundTokenCache } from './client/outbound-token-cache';
export { parseBearerChallenge } from './client/bearer-challenge-parser';
export { requestClientCredentialsToken, createClientAssertion, TokenRequestError, type ClientCredentialsRequest } from './client/client-credentials';
export { AuthorizationServer, AuthorizationServers, parseAuthorizationServerMetadata, type AuthorizationServerMetadata, type AuthorizationServerClient } from './core/partners/authorization-server';
