import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

/** Listens on an ephemeral port of 127.0.0.1. */
export function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** The port a listening server got. */
export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
