/**
 * A value now, or later. Verification runs synchronously whenever everything it needs is in
 * memory (partner known, keys cached), and becomes asynchronous only where real I/O waits:
 * each `await` of an already-known value costs a microtask on every request of a hot path.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Applies `next` now if `value` is ready, or when it resolves. Synchronous throws stay synchronous. */
export function chain<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
