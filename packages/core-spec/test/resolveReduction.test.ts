import { describe, expect, it } from 'vitest';
import { type LossOptions, resolveReduction } from '../src/index.js';

describe('legacy options (PyTorch _Reduction.legacy_get_string)', () => {
  const table: [LossOptions, string][] = [
    [{}, 'mean'],
    [{ reduction: 'sum' }, 'sum'],
    [{ reduction: 'none' }, 'none'],
    [{ size_average: null, reduce: null, reduction: 'sum' }, 'sum'],
    [{ size_average: true }, 'mean'],
    [{ size_average: false }, 'sum'],
    [{ reduce: true }, 'mean'],
    [{ reduce: false }, 'none'],
    [{ size_average: true, reduce: true }, 'mean'],
    [{ size_average: false, reduce: true }, 'sum'],
    [{ size_average: true, reduce: false }, 'none'],
    [{ size_average: false, reduce: false }, 'none'],
    [{ size_average: true, reduction: 'none' }, 'mean'],
    [{ reduce: false, reduction: 'sum' }, 'none'],
    [{ size_average: false, reduction: 'bogus' as never }, 'sum'],
  ];
  it.each(table)('%j -> %s', (options, expected) => {
    expect(resolveReduction(options)).toBe(expected);
  });

  it('rejects non-boolean legacy flags', () => {
    expect(() => resolveReduction({ reduce: 'no' as never })).toThrow(/reduce must be a boolean/);
  });
});
