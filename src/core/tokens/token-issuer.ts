import { randomUUID } from 'node:crypto';
import { signJws } from './sign-jws';
import type { SigningKeyRing } from '../certificates/signing-key-ring';
import { epochSeconds, type Clock } from '../clock';
import { MAX_ISSUED_LIFETIME_SECONDS } from '../config/config-limits';
import { formatAudience, formatPrincipal } from '../principal-names';
import { assertUserIdentity, userClaims, type UserIdentity } from './user-identity';

/** Whom a token is for: the partner's principal id, the host we call it at, and its realm. */
export interface TokenAudience {
  /** The partner's principal id. */
  principalId: string;
  /** The host (and port) we call it at. */
  host: string;
  /** The partner's realm. */
  realm: string;
}

/** Options of {@link TokenIssuer.mint}. */
export interface MintOptions {
  /** Whom the token is for. */
  audience: TokenAudience;
  /** Mint a user-context token on behalf of this user; omit for an app-only token. */
  user?: UserIdentity;
  /** Lifetime in seconds (default: the configured `tokens.lifetimeSeconds`; at most 3600). */
  lifetimeSeconds?: number;
  /**
   * Use the Microsoft legacy user-context form: an unsigned outer token carrying the signed actor
   * token in `actortoken`. Only for partners configured with `legacyTokens: true`.
   */
  legacy?: boolean;
}

/** A minted token and when it stops being valid. */
export interface MintedToken {
  /** The compact token (send it as `Authorization: Bearer <token>`; never log it). */
  token: string;
  /** Expiry, milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * The built-in token issuer: signs S2S tokens with the service's OAuth certificate.
 *
 * App-only actor token: header `alg`, `typ: JWT`, `x5t`, `kid`; claims `aud`, `iss` = `nameid` =
 * `<our principal id>@<our realm>`, `nbf`, `exp`, `iat`, `jti`, `trustedfordelegation: false`.
 *
 * User-context token (default form): ONE signed JWS with the same header and `iss`, the user's
 * claims (`nameid` + `nii`, `upn`, `smtp`, `sip`), `act: { nameid: <us> }` naming the acting
 * service (RFC 8693 section 4.1) and `trustedfordelegation: true`. Unlike the legacy form,
 * nobody holding an actor token can change the user.
 */
export class TokenIssuer {
  /** `<principal id>@<realm>`: our `iss`. */
  readonly issuer: string;

  constructor(
    serviceName: string,
    realm: string,
    private readonly keys: SigningKeyRing,
    private defaultLifetimeSeconds: number,
    private readonly clock: Clock,
  ) {
    this.issuer = formatPrincipal(serviceName, realm);
  }

  /**
   * Sets the lifetime of tokens minted without `lifetimeSeconds` (a configuration reload).
   * @internal
   */
  setDefaultLifetime(seconds: number): void {
    this.defaultLifetimeSeconds = seconds;
  }

  /** Mints an app-only or user-context token for `options.audience`. */
  async mint(options: MintOptions): Promise<MintedToken> {
    const lifetime = options.lifetimeSeconds ?? this.defaultLifetimeSeconds;
    if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > MAX_ISSUED_LIFETIME_SECONDS) {
      throw new TypeError(`lifetimeSeconds: expected whole seconds from 1 to ${MAX_ISSUED_LIFETIME_SECONDS}`);
    }
    if (options.user) assertUserIdentity(options.user);
    const { principalId, host, realm } = options.audience;
    const now = epochSeconds(this.clock);
    const window = { nbf: now, iat: now, exp: now + lifetime };
    const token = await this.issue({
      aud: formatAudience(principalId, host, realm),
      user: options.user,
      legacy: options.legacy,
      window,
    });
    return { token, expiresAt: window.exp * 1000 };
  }

  /**
   * Signs a token of our wire format with any window and extra claims, unchecked: the door of
   * `s2s-oauth/testing`, which mints expired, early and odd tokens on purpose. `claims` go on the
   * signed token (the actor token in the legacy form), over the standard ones.
   * @internal
   */
  async issue(spec: {
    aud: string;
    user?: UserIdentity;
    legacy?: boolean;
    window: { nbf: number; iat: number; exp: number };
    claims?: Record<string, unknown>;
  }): Promise<string> {
    const { aud, user, window } = spec;
    const extra = spec.claims ?? {};
    if (user && spec.legacy) {
      const actorToken = await this.sign({ aud, nameid: this.issuer, trustedfordelegation: true, ...window }, extra);
      // The outer token is unsigned by design of the legacy format; its `iss` is the actor's
      // `nameid` (shared/PROTOCOL.md). Receivers trust it only through the signed actor token.
      // jose's UnsecuredJWT omits `typ`, which Microsoft's readers expect: `{"typ":"JWT","alg":"none"}`.
      return [
        { typ: 'JWT', alg: 'none' },
        { aud, iss: this.issuer, ...userClaims(user), actortoken: actorToken, ...window },
      ]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .join('.')
        .concat('.');
    }
    const claims = user
      ? { aud, ...userClaims(user), act: { nameid: this.issuer }, trustedfordelegation: true, ...window }
      : { aud, nameid: this.issuer, trustedfordelegation: false, ...window };
    return this.sign(claims, extra);
  }

  private sign(claims: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
    return signJws({ typ: 'JWT' }, { ...claims, iss: this.issuer, jti: randomUUID(), ...extra }, this.keys.active());
  }
}
