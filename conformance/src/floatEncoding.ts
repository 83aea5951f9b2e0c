/** The JSON encodings of non-finite floats in mlml files (DESIGN §4). */
export const NON_FINITE_STRINGS: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** A float as mlml files write it: a JSON number, or `"NaN"`, `"Infinity"`, `"-Infinity"`. */
export function encodeFloat(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/** The inverse of {@link encodeFloat}; undefined for anything else. */
export function decodeFloat(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && Object.hasOwn(NON_FINITE_STRINGS, value)) return NON_FINITE_STRINGS[value];
  return undefined;
}
