import type { S2SEvent, VerificationEvent } from '../../src/core/events';
import { inspectForSecrets } from './secret-scan';

/** An `onEvent` that keeps only the accept / reject decisions, in `into` (and scans every event for secrets). */
export function onlyDecisions(into: VerificationEvent[]): (event: S2SEvent) => void {
  return (event) => {
    inspectForSecrets(`event ${event.type}`, event);
    if (event.type === 'accepted' || event.type === 'rejected') into.push(event);
  };
}
