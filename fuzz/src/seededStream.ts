/**
 * A seeded stream of uniform numbers in [0, 1) with 32 random bits (mulberry32): every recipe's
 * values, targets and grad_output come from it, so a recipe rebuilds the same arrays every time.
 */
export function seededStream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
