import { LossError } from './LossError.js';
import type { LossOptions, Reduction } from './types.js';

const REDUCTIONS: readonly string[] = ['none', 'mean', 'sum'];

/**
 * The reduction a call really uses. Legacy `size_average`/`reduce`, when either is set (not
 * null/undefined), override `reduction`, an unset one counting as true, as in PyTorch's
 * `_Reduction.legacy_get_string`.
 * @throws {LossError} `INVALID_REDUCTION` when `reduction` is not `none`, `mean` or `sum`.
 */
export function resolveReduction(options: LossOptions | undefined): Reduction {
  const sizeAverage = legacyFlag(options?.size_average, 'size_average');
  const reduce = legacyFlag(options?.reduce, 'reduce');
  if (sizeAverage !== null || reduce !== null) {
    if (reduce === false) return 'none';
    return sizeAverage === false ? 'sum' : 'mean';
  }
  const reduction: unknown = options?.reduction ?? 'mean';
  if (typeof reduction !== 'string' || !REDUCTIONS.includes(reduction)) {
    throw new LossError('INVALID_REDUCTION', `${String(reduction)} is not a valid value for reduction`);
  }
  return reduction as Reduction;
}

function legacyFlag(value: unknown, name: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') {
    throw new LossError(
      'INVALID_REDUCTION',
      `${name} must be a boolean, null or undefined, but got: ${String(value)}`,
    );
  }
  return value;
}
