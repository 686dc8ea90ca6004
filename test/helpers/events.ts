import type { S2SEvent, VerificationEvent } from '../../src/core/events';

/** An `onEvent` that keeps only the accept / reject decisions, in `into`. */
export function onlyDecisions(into: VerificationEvent[]): (event: S2SEvent) => void {
  return (event) => {
    if (event.type === 'accepted' || event.type === 'rejected') into.push(event);
  };
}
