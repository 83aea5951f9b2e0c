/*
 * The one seeded generator of @mlml/conformance: 32-bit words from a counter-based integer hash, the
 * same bit for bit as conformance/scripts/seeded_problems.py (so Python and TypeScript build the
 * same large problems without storing them). All arithmetic is modulo 2^32.
 */

/** The golden-ratio increment between counters. */
const GOLDEN = 0x9e3779b9;

/** lowbias32, an integer hash with good avalanche (a uint32 in, a uint32 out). */
export function hash32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The word `index` of stream `seed`: hash32(hash32(seed) + index * 0x9E3779B9 mod 2^32). */
export function seededWord(seed: number, index: number): number {
  return hash32((hash32(seed) + Math.imul(index, GOLDEN)) >>> 0);
}

/** `count` words of stream `seed` (see {@link seededWord}). */
export function seededWords(seed: number, count: number): Uint32Array {
  const key = hash32(seed);
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) words[i] = hash32((key + Math.imul(i, GOLDEN)) >>> 0);
  return words;
}

/** floor(word * size / 2^32): a uniform integer in [0, size), exact for size < 2^21. */
export function scaledIndex(word: number, size: number): number {
  return Math.floor((word * size) / 4294967296);
}

/** A seeded stream of uniform numbers in [0, 1) (24-bit resolution) for tests and state checks. */
export function seededUniform(seed: number): () => number {
  let index = 0;
  const key = hash32(seed);
  return () => {
    const word = hash32((key + Math.imul(index++, GOLDEN)) >>> 0);
    return (word >>> 8) / 16777216;
  };
}
