import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the key server answers, switchable during a test. */
export type KeyServerMode = 'ok' | 'down' | 'slow' | 'huge' | 'redirect-other' | 'redirect-same';

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) serving a key document, whose behaviour
 * tests switch: up, down (500), slow (never answers in time), huge (over the size cap), or
 * redirecting. It counts the requests it gets.
 */
export class KeyServer {
  mode: KeyServerMode = 'ok';
  requests = 0;
  document: unknown = { keys: [] };
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  url(path = '/keys'): string {
    return `${this.origin}${path}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    switch (this.mode) {
      case 'down':
        res.writeHead(500).end('down');
        return;
      case 'slow':
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.document)),
          2000,
        ).unref();
        return;
      case 'huge':
        // No content-length: the cap must hold while streaming too.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[],"pad":"');
        res.end('x'.repeat(300 * 1024) + '"}');
        return;
      case 'redirect-other':
        res.writeHead(302, { location: `http://localhost:${(this.server!.address() as AddressInfo).port}/keys` }).end();
        return;
      case 'redirect-same':
        if (req.url === '/moved') break;
        res.writeHead(301, { location: '/moved' }).end();
        return;
      case 'ok':
        break;
    }
    const body = Buffer.from(JSON.stringify(this.document));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  }
}
