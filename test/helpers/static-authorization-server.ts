import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { craftToken } from './tokens';

/**
 * A hand-made authorization server on 127.0.0.1 (ephemeral port), for what a certified server
 * will not do: a chosen issuer (Microsoft's `<id>@<realm>` form), a metadata document that is
 * its own JWKS, a token endpoint with a huge reply, or a metadata request that never answers.
 * Its tokens are signed by hand with its own RSA key.
 */
export class StaticAuthorizationServer {
  readonly kid = randomUUID();
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
  /** `hang`: requests are held open and never answered. */
  mode: 'ok' | 'hang' = 'ok';
  /** Requests held open in `hang` mode. */
  pending = 0;
  /** The `issuer` the metadata names (default: the server's origin). */
  issuer: string | undefined;
  /** Bytes of padding in the token endpoint's reply. */
  tokenReplyPadding = 0;
  /** Also publish the keys in the metadata document itself, and name it as its own `jwks_uri`. */
  metadataIsJwks = false;
  private server: Server | undefined;
  private held: ServerResponse[] = [];

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get metadataUrl(): string {
    return `${this.origin}/metadata`;
  }

  /** A token signed with this server's key, with `iss` = its issuer. */
  sign(claims: Record<string, unknown>, header: Record<string, unknown> = { kid: this.kid }): string {
    const now = Math.floor(Date.now() / 1000);
    return craftToken(
      { alg: 'RS256', typ: 'JWT', ...header },
      { iss: this.issuer ?? this.origin, nbf: now, iat: now, exp: now + 300, ...claims },
      this.privateKey,
    );
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.mode === 'hang') {
      this.pending++;
      this.held.push(res);
      res.on('close', () => this.pending--);
      return;
    }
    const json = (value: unknown): void =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    if (req.url === '/metadata') {
      const issuer = this.issuer ?? this.origin;
      const jwksUri = this.metadataIsJwks ? this.metadataUrl : `${this.origin}/jwks`;
      return json({
        issuer,
        jwks_uri: jwksUri,
        token_endpoint: `${this.origin}/token`,
        ...(this.metadataIsJwks && { keys: [this.publicJwk] }),
      });
    }
    if (req.url === '/jwks') return json({ keys: [this.publicJwk] });
    if (req.url === '/token') {
      // No content-length: the cap must hold while streaming.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"token_type":"Bearer","expires_in":300,"pad":"`);
      res.end(`${'x'.repeat(this.tokenReplyPadding)}","access_token":"${this.sign({ aud: 'x' })}"}`);
      return;
    }
    res.writeHead(404).end();
  }
}
