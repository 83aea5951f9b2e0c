import { type FloatArray, resolveReduction, type Tensor } from '@mlml/core-spec';
import type { GoldenOptions } from './GoldenFile.js';
import type { Difference } from './tolerance.js';

/** The inputs a difference is explained with. */
export interface RowSource {
  /** The call's input. */
  readonly input: Tensor<FloatArray>;
  /** The call's target. */
  readonly target: Tensor<Int32Array>;
  /** The call's options (to tell a per-sample output from a reduced one). */
  readonly options: GoldenOptions;
}

/** Values shown at each end of a trimmed row. */
const SHOWN = 6;

/**
 * The difference with its sample in words (`context`): the row of input and target it belongs to,
 * trimmed to a few values at each end around the offending column, so a failure can be reproduced
 * by hand. A reduced output (one scalar for all rows) gets no row.
 */
export function withRowContext(difference: Difference, source: RowSource): Difference {
  const { index, tensor } = difference;
  if (index === undefined || (tensor !== 'output' && tensor !== 'grad_input')) return difference;
  const rank = source.input.shape.length;
  const classes = rank === 0 ? 1 : source.input.shape[rank - 1]!;
  let row: number;
  let column: number | undefined;
  if (tensor === 'grad_input') {
    row = Math.floor(index / classes);
    column = index % classes;
  } else {
    let reduction: string;
    try {
      reduction = resolveReduction(source.options as never);
    } catch {
      return difference;
    }
    if (reduction !== 'none') return difference;
    row = index;
  }
  const context = describeRow(source, row, column);
  return context === undefined ? difference : { ...difference, context };
}

/**
 * Row `row` of a call's input and target in words, trimmed to a few values at each end (and around
 * `column` when given): `input[n] = [...] (C = ...); target[n] = [...] (J = ...)`.
 */
export function describeRow(
  source: Pick<RowSource, 'input' | 'target'>,
  row: number,
  column?: number,
): string | undefined {
  const rank = source.input.shape.length;
  const classes = rank === 0 ? 1 : source.input.shape[rank - 1]!;
  const start = row * classes;
  const x = source.input.data.subarray(start, start + classes);
  const t = source.target.data.subarray(start, start + classes);
  if (x.length === 0) return undefined;
  let targets = 0;
  while (targets < t.length && t[targets]! >= 0) targets++;
  const where = rank === 2 ? `[${row}]` : '';
  const parts = [
    `input${where} = ${trimmed(x, column)} (C = ${classes})`,
    `target${where} = ${trimmed(t, targets < t.length ? targets : undefined)} (J = ${targets})`,
  ];
  if (column !== undefined) parts.push(`input${where}[${column}] = ${x[column]}`);
  return parts.join('; ');
}

/** A row as `[a, b, …, z]`: both ends, and the neighbourhood of `focus` when it is in the middle. */
function trimmed(values: ArrayLike<number>, focus: number | undefined): string {
  const n = values.length;
  if (n <= 3 * SHOWN) return `[${Array.from(values as ArrayLike<number>, String).join(', ')}]`;
  const keep = new Set<number>();
  for (let i = 0; i < SHOWN; i++) {
    keep.add(i);
    keep.add(n - 1 - i);
  }
  if (focus !== undefined) for (let i = focus - 2; i <= focus + 2; i++) if (i >= 0 && i < n) keep.add(i);
  const indices = [...keep].sort((a, b) => a - b);
  const out: string[] = [];
  indices.forEach((i, k) => {
    if (k > 0 && i !== indices[k - 1]! + 1) out.push(`…`);
    out.push(String(values[i]));
  });
  return `[${out.join(', ')}]`;
}
