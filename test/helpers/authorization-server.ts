import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './certificates';

/** Options of {@link startAuthorizationServer}. */
export interface AuthorizationServerOptions {
  /** Clients in oidc-provider's format (client_id, jwks, grant_types, ...). */
  clients: object[];
  /** Resource indicator -> the scopes it offers. */
  resources: Record<string, string>;
  /** Resource indicator -> the `aud` its tokens carry (default: the resource indicator). */
  audiences?: Record<string, string>;
  /** Listen on this port (to restart "the same" server with new keys). */
  port?: number;
}

/** A running oidc-provider in its own process on 127.0.0.1. */
export interface RunningAuthorizationServer {
  port: number;
  issuer: string;
  metadataUrl: string;
  /** The kid of its current signing key. */
  kid: string;
  stop(): Promise<void>;
}

/**
 * Starts oidc-provider (test/helpers/oidc-server.mjs) with a fresh RSA signing key. A restart on
 * a given port retries briefly: the port of the process just stopped may not be free yet.
 */
export async function startAuthorizationServer(
  options: AuthorizationServerOptions,
): Promise<RunningAuthorizationServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (options.port === undefined || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function startOnce(options: AuthorizationServerOptions): Promise<RunningAuthorizationServer> {
  const kid = randomUUID();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const file = join(tempDir('s2s-as-'), 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...options,
      signingKey: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
    }),
  );
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'oidc-server.mjs'), file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const started = await new Promise<{ port: number; issuer: string }>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(JSON.parse(d.toString())));
    child.once('exit', (code) => reject(new Error(`oidc-provider exited with ${code}: ${stderr.slice(0, 500)}`)));
  });
  return {
    ...started,
    metadataUrl: `${started.issuer}/.well-known/openid-configuration`,
    kid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
