/**
 * The source of "now", in milliseconds since the epoch. Injected everywhere time matters
 * (rollover, token windows, caches) so tests can move time without sleeping.
 */
export type Clock = () => number;

/** The wall clock. */
export const systemClock: Clock = () => Date.now();

/** Whole seconds since the epoch, as JWT `NumericDate` claims want them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock() / 1000);
}
