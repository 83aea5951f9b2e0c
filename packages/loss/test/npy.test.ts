import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli/CliError.js';
import { encodeNpy, parseNpy } from '../src/cli/npy.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name));

describe('.npy codec', () => {
  it('reads NumPy float32, float64, int64 and int32 files (formats 1.0 and 2.0)', () => {
    const x = parseNpy(fixture('x_f32.npy'), 'x');
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([2, 4]);
    expect(Array.from(x.data as Float32Array).slice(0, 4)).toEqual([0.1, 0.2, 0.4, 0.8].map(Math.fround));
    expect(parseNpy(fixture('x_f64.npy'), 'x').dtype).toBe('float64');
    const y = parseNpy(fixture('y_i64.npy'), 'y');
    expect([y.dtype, Array.from(y.data as BigInt64Array).map(Number)]).toEqual([
      'int64',
      [3, 0, -1, 1, 2, 2, -1, 0],
    ]);
    expect(parseNpy(fixture('y_i32.npy'), 'y').dtype).toBe('int32');
    expect(Array.from(parseNpy(fixture('x_f32_v2.npy'), 'x').data as Float32Array)).toEqual(
      Array.from(x.data as Float32Array),
    );
  });

  it('names what it found when it cannot read a file', () => {
    expect(() => parseNpy(fixture('x_f32_be.npy'), 'x.npy')).toThrow(/unsupported dtype '>f4'/);
    expect(() => parseNpy(fixture('x_u8.npy'), 'x.npy')).toThrow(/unsupported dtype '\|u1'/);
    expect(() => parseNpy(fixture('x_f32_fortran.npy'), 'x.npy')).toThrow(/Fortran-order/);
    expect(() => parseNpy(new TextEncoder().encode('hello world'), 'x.npy')).toThrow(/not a .npy file/);
    const truncated = fixture('x_f32.npy').subarray(0, 150);
    expect(() => parseNpy(truncated, 'x.npy')).toThrow(CliError);
    expect(() => parseNpy(truncated, 'x.npy')).toThrow(/expected 32 bytes/);
  });

  it('writes files it (and NumPy) can read back, header padded to 64 bytes', () => {
    const data = new Float64Array([1.5, Number.NaN, -0, Number.POSITIVE_INFINITY, 2, 3]);
    const bytes = encodeNpy(data, [2, 3]);
    expect((bytes.length - data.byteLength) % 64).toBe(0);
    const back = parseNpy(bytes, 'out');
    expect([back.dtype, back.shape]).toEqual(['float64', [2, 3]]);
    expect(Array.from(back.data as Float64Array)).toEqual(Array.from(data));
    expect(parseNpy(encodeNpy(new Float32Array([7]), []), 's').shape).toEqual([]);
    expect(parseNpy(encodeNpy(new Float32Array([7, 8]), [2]), 'v').shape).toEqual([2]);
  });
});
