/** A nested array as typed in: numbers, and the strings `"NaN"`, `"Infinity"`, `"-Infinity"`. */
export type NestedValue = number | readonly NestedValue[];

const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** Thrown for text that is not JSON: the message says where. */
export class JsonFieldError extends Error {}

function revive(value: unknown): unknown {
  if (typeof value === 'string' && value in NON_FINITE) return NON_FINITE[value];
  if (Array.isArray(value)) return value.map(revive);
  return value;
}

/**
 * Parses a field's JSON text into nested values, with `"NaN"`/`"Infinity"`/`"-Infinity"` as
 * numbers. Shapes and element types are left to the library, whose errors say what is wrong.
 * @throws {JsonFieldError} when the text is not JSON.
 */
export function parseJsonField(text: string): NestedValue {
  try {
    return revive(JSON.parse(text)) as NestedValue;
  } catch (error) {
    throw new JsonFieldError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
