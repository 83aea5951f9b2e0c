/** How a call ended. */
export type Outcome =
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout'; readonly ms: number };

/** Waits for `promise`, at most `ms` milliseconds, and says how it ended (never rejects). */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout', ms }), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve({ kind: 'result', value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ kind: 'error', error });
      },
    );
  });
}
