import { watchFileContents } from '../watch-file-contents';
import type { Clock } from '../clock';
import type { EventSink } from '../events';
import { ConfigError } from '../errors/config-error';
import { parseSigningCredential } from './oauth-certificate';
import { readPemSource } from './pem-source';
import type { SigningKeyRing } from './signing-key-ring';

/** How long after a change settles the files are read; a pair that does not validate is read again this often. */
const SETTLE_MS = 100;
const RETRY_MS = 500;
const MAX_RETRIES = 20;

/**
 * Watches the signing certificate and key files (path form only): when they change, the new pair
 * is read and validated by the start-up rules (strength, match, validity). A valid new pair is
 * published at once and signs after `leadMs`, while the previous key goes on signing until then.
 * A half-written or mismatched pair (the certificate replaced, the key not yet) is never used:
 * the ring keeps what it has, the files are read again shortly, and an event says why.
 */
export function watchSigningFiles(options: {
  certificate: string;
  privateKey: string;
  ring: SigningKeyRing;
  leadMs: number;
  clock: Clock;
  onEvent?: EventSink;
}): () => void {
  const { certificate, privateKey, ring, leadMs, clock, onEvent } = options;
  let timer: NodeJS.Timeout | undefined;
  let retries = 0;

  const attempt = () => {
    let credential;
    try {
      credential = parseSigningCredential(
        readPemSource(certificate, 'signing.certificate', { secret: false }),
        readPemSource(privateKey, 'signing.privateKey', { secret: true }),
        { certificate: 'signing.certificate', privateKey: 'signing.privateKey' },
        clock(),
      );
    } catch (error) {
      const issues =
        error instanceof ConfigError ? error.issues : [{ path: 'signing', message: (error as Error).message }];
      onEvent?.({ type: 'signing_certificate', outcome: 'refused', issues });
      if (retries++ < MAX_RETRIES) schedule(RETRY_MS);
      return;
    }
    retries = 0;
    if (ring.has(credential.x5t)) return;
    const from = clock() + leadMs;
    ring.add(credential, from);
    onEvent?.({
      type: 'signing_certificate',
      outcome: 'scheduled',
      x5t: credential.x5t,
      effectiveAt: new Date(from).toISOString(),
    });
  };
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(attempt, ms);
    timer.unref();
  };

  // By content, whatever the event names: cert-manager and ACME clients rename new files over the
  // old, Kubernetes Secret volumes flip a `..data` symlink.
  return watchFileContents([certificate, privateKey], () => {
    retries = 0;
    schedule(SETTLE_MS);
  });
}
