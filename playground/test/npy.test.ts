import { describe, expect, it } from 'vitest';
import { NpyError, parseNpy } from '../src/npy.ts';
import { npyBytes } from './npyBytes.ts';

describe('parseNpy', () => {
  it('reads float32, float64, int32 and int64 arrays with their shapes', () => {
    const f32 = parseNpy(npyBytes('<f4', [1, 4], new Float32Array([0.1, 0.2, 0.4, 0.8])), 'x.npy');
    expect(f32.shape).toEqual([1, 4]);
    expect(f32.data).toEqual(new Float32Array([0.1, 0.2, 0.4, 0.8]));
    expect(parseNpy(npyBytes('<f8', [2], new Float64Array([1.5, -2])), 'x.npy').data).toEqual(
      new Float64Array([1.5, -2]),
    );
    expect(parseNpy(npyBytes('<i4', [4], new Int32Array([3, 0, -1, 1])), 'y.npy').data).toEqual(
      new Int32Array([3, 0, -1, 1]),
    );
    const i64 = parseNpy(npyBytes('<i8', [2, 1], new BigInt64Array([3n, -1n])), 'y.npy');
    expect(i64.data).toEqual(new BigInt64Array([3n, -1n]));
    expect(i64.shape).toEqual([2, 1]);
    expect(parseNpy(npyBytes('<f4', [], new Float32Array([7])), 's.npy').shape).toEqual([]);
  });

  it('rejects what it cannot read, naming the file and the reason', () => {
    const bad = (bytes: Uint8Array) => () => parseNpy(bytes, 'bad.npy');
    expect(bad(new TextEncoder().encode('hello, world'))).toThrow(new NpyError('bad.npy: not a .npy file'));
    expect(bad(npyBytes('<u2', [2], new Uint16Array([1, 2])))).toThrow(
      /bad\.npy: dtype '<u2' is not supported/,
    );
    expect(bad(npyBytes('<f4', [2, 2], new Float32Array(4), true))).toThrow(/Fortran-order/);
    expect(bad(npyBytes('<f4', [3], new Float32Array(2)))).toThrow(/shorter than its shape/);
  });
});
