import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PartnerConfigInput } from '../core/config/config-input';

/** A test partner's documents served on a loopback port, by {@link TestPartner.serveMetadata}. */
export interface ServedMetadata {
  /** `http://127.0.0.1:<port>/metadata/json/1`. */
  readonly metadataUrl: string;
  /** `http://127.0.0.1:<port>/.well-known/jwks.json`. */
  readonly jwksUrl: string;
  /**
   * The partner entry trusting it by its metadata URL (its id and realm come from the document).
   * The service must allow plain http to the loopback host: `keySources.allowInsecureHosts`
   * includes `127.0.0.1` (as {@link createTestService} sets).
   */
  readonly partnerConfig: PartnerConfigInput;
  /** How many requests it has answered (to see a cache at work). */
  readonly requests: number;
  /** Stops serving (a key source that is down); resolves when the port is closed. */
  close(): Promise<void>;
}

/** Serves a metadata document and a JWKS over plain http on 127.0.0.1, on a free port. */
export async function serveDocuments(
  metadata: (metadataUrl: string) => object,
  jwks: () => object,
  entry: Omit<PartnerConfigInput, 'applicationId' | 'realm' | 'keySource'>,
): Promise<ServedMetadata> {
  let requests = 0;
  let origin = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const path = (req.url ?? '').split('?')[0];
    const body =
      req.method !== 'GET'
        ? undefined
        : path === '/metadata/json/1'
          ? metadata(`${origin}/metadata/json/1`)
          : path === '/.well-known/jwks.json'
            ? jwks()
            : undefined;
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metadataUrl = `${origin}/metadata/json/1`;
  return {
    metadataUrl,
    jwksUrl: `${origin}/.well-known/jwks.json`,
    partnerConfig: { ...entry, keySource: { kind: 'metadata', url: metadataUrl } },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
