import { randomUUID } from 'node:crypto';
import { signJws } from '../core/tokens/sign-jws';
import type { Clock } from '../core/clock';
import { epochSeconds } from '../core/clock';
import type { SigningCredential } from '../core/certificates/oauth-certificate';
import type { AuthorizationServer } from '../core/partners/authorization-server';
import { redactUrl } from '../core/partners/redact-url';
import { printable } from '../core/partner-text';
import { assertFetchable, readCapped, type FetchLimits } from '../core/partners/fetch-document';
import type { MintedToken } from '../core/tokens/token-issuer';

/** Why an authorization server gave us no token (its `error` code, never our assertion). */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  constructor(
    message: string,
    readonly oauthError?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An RFC 7523 client assertion (`private_key_jwt`): `iss` = `sub` = our client id, `aud` = the
 * server's issuer, a unique `jti`, one minute of validity, signed with our OAuth certificate.
 * No shared secret exists anywhere.
 */
export function createClientAssertion(
  clientId: string,
  audience: string,
  credential: SigningCredential,
  clock: Clock,
): Promise<string> {
  const now = epochSeconds(clock);
  return signJws(
    { typ: 'JWT' },
    { iss: clientId, sub: clientId, aud: audience, jti: randomUUID(), iat: now, exp: now + 60 },
    credential,
  );
}

function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** What {@link requestClientCredentialsToken} needs. */
export interface ClientCredentialsRequest {
  server: AuthorizationServer;
  clientId: string;
  credential: SigningCredential;
  /** RFC 8707 resource indicator of the partner ... */
  resource?: string;
  /** ... or a scope, for servers without resource indicators. */
  scope?: string;
  limits: FetchLimits;
  clock: Clock;
}

/**
 * The client-credentials grant (RFC 6749 section 4.4) at the server's token endpoint,
 * authenticated by a client assertion (RFC 7523), asking for the partner as `resource`
 * (RFC 8707) or `scope`.
 */
export async function requestClientCredentialsToken(request: ClientCredentialsRequest): Promise<MintedToken> {
  const { server, limits } = request;
  const metadata = await server.metadata.get();
  if (!metadata.tokenEndpoint)
    throw new TokenRequestError(`authorization server "${server.config.name}" publishes no token endpoint`);
  const endpoint = new URL(metadata.tokenEndpoint);
  assertFetchable(endpoint, limits.allowInsecureHosts);
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: request.clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await createClientAssertion(request.clientId, metadata.issuer, request.credential, request.clock),
  });
  if (request.resource) body.set('resource', request.resource);
  if (request.scope) body.set('scope', request.scope);
  let response: Response;
  try {
    response = await (limits.fetch ?? fetch)(endpoint, {
      method: 'POST',
      body,
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(limits.timeoutMs),
    });
  } catch (e) {
    throw new TokenRequestError(
      `cannot reach the token endpoint of "${server.config.name}": ${(e as Error).message}`,
      undefined,
      { cause: e },
    );
  }
  // Capped like every document we read (keySources.maxResponseBytes): the reply is the server's to size.
  let text: string;
  try {
    text = await readCapped(response, limits.maxResponseBytes, redactUrl(endpoint), limits.timeoutMs);
  } catch (e) {
    throw new TokenRequestError(
      `cannot read the reply of the token endpoint of "${server.config.name}": ${(e as Error).message}`,
      undefined,
      { cause: e },
    );
  }
  const json = parseJsonObject(text);
  if (!response.ok || typeof json.access_token !== 'string') {
    const error = typeof json.error === 'string' ? printable(json.error, 100) : undefined;
    const description = typeof json.error_description === 'string' ? `: ${printable(json.error_description, 200)}` : '';
    throw new TokenRequestError(
      `authorization server "${server.config.name}" refused the token request (${response.status} ${error ?? 'no error code'}${description})`,
      error,
    );
  }
  const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 300;
  return { token: json.access_token, expiresAt: request.clock() + expiresIn * 1000 };
}
