/** A `.npy` array as the library takes it: typed data in C order, and its shape. */
export interface NpyTensor {
  /** The elements. */
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array;
  /** The shape (`[]` for a scalar). */
  readonly shape: number[];
}

const DTYPES = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '<i4': Int32Array,
  '<i8': BigInt64Array,
} as const;

/** Thrown for a file this reader does not accept, saying why. */
export class NpyError extends Error {}

/**
 * Reads a NumPy `.npy` file (format 1.0–3.0; little-endian float32, float64, int32 or int64; C order).
 * @throws {NpyError} for anything else, naming the file.
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyTensor {
  const fail = (why: string): never => {
    throw new NpyError(`${name}: ${why}`);
  };
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) fail('not a .npy file');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}`);
  const headerLength = lengthBytes === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLength),
  );
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail('malformed header');
  if (fortran === 'True') fail('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const Type = DTYPES[descr as keyof typeof DTYPES];
  if (Type === undefined) fail(`dtype '${descr}' is not supported (float32, float64, int32, int64)`);
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  if (bytes.length - offset < count * Type.BYTES_PER_ELEMENT) fail('the file is shorter than its shape');
  // Copied into a fresh, aligned buffer: the payload's offset need not be a multiple of the element size.
  const payload = bytes.slice(offset, offset + count * Type.BYTES_PER_ELEMENT);
  return { data: new Type(payload.buffer), shape };
}
