import type { FloatArray, Tensor } from '@mlml/core-spec';

/** Nested plain arrays of a tensor (a number for a 0-dim tensor), handy for printing and tests. */
export type Nested = number | Nested[];

/** Converts a row-major tensor to nested arrays: `[]` -> number, `[C]` -> number[], `[N, C]` -> number[][]. */
export function toNested(tensor: Tensor<FloatArray | ArrayLike<number>>): Nested {
  const { data, shape } = tensor;
  const build = (offset: number, dim: number): Nested => {
    if (dim === shape.length) return data[offset] as number;
    const size = shape[dim]!;
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: size }, (_, i) => build(offset + i * stride, dim + 1));
  };
  return build(0, 0);
}
