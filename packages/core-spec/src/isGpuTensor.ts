import type { GpuTensor } from './types.js';

/**
 * Whether `value` is a {@link GpuTensor}: an object with a `buffer`, a `shape` array and a
 * `dtype` of `'float32'` or `'int32'`, and no `data` property (which would make it a typed-array
 * tensor). `data` is tested with `in`, never read: a getter there is left for validation to read once.
 */
export function isGpuTensor(value: unknown): value is GpuTensor {
  if (typeof value !== 'object' || value === null) return false;
  if ('data' in value) return false;
  const candidate = value as Partial<Record<'buffer' | 'shape' | 'dtype', unknown>>;
  return (
    typeof candidate.buffer === 'object' &&
    candidate.buffer !== null &&
    Array.isArray(candidate.shape) &&
    (candidate.dtype === 'float32' || candidate.dtype === 'int32')
  );
}
