import { CliError } from './CliError.js';

/** The element types `mlml loss` reads and writes. */
export type NpyDtype = 'float32' | 'float64' | 'int32' | 'int64';

/** A decoded `.npy` array, C order. */
export interface NpyArray {
  /** The element type. */
  readonly dtype: NpyDtype;
  /** The shape (`[]` for a scalar). */
  readonly shape: number[];
  /** The elements, row-major. */
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i4': 'int32',
  '<i8': 'int64',
};
const BYTES: Record<NpyDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };

/** What a `.npy` header says: the element type, the shape, and where the data starts and ends. */
export interface NpyHeader {
  /** The element type. */
  readonly dtype: NpyDtype;
  /** The shape (`[]` for a scalar). */
  readonly shape: number[];
  /** The byte offset of the data. */
  readonly dataStart: number;
  /** The data's length in bytes (elements times element size). */
  readonly byteLength: number;
}

/** The bytes of a `.npy` file that precede its header's length field's end (magic, version, length). */
export const NPY_PREAMBLE_BYTES = 12;

/**
 * The length of the whole header (magic to the data's first byte) from the file's first
 * {@link NPY_PREAMBLE_BYTES} bytes (at least 10 for version 1).
 * @throws {CliError} for a file that is not `.npy` or an unsupported version.
 */
export function npyHeaderLength(bytes: Uint8Array, name: string): number {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new CliError(`${name}: not a .npy file (missing the \\x93NUMPY magic)`);
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return 10 + view.getUint16(8, true);
  if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new CliError(`${name}: truncated .npy header`);
    return 12 + view.getUint32(8, true);
  }
  throw new CliError(`${name}: unsupported .npy format version ${major}.${bytes[7]}`);
}

/**
 * Decodes a `.npy` header (format 1.0 to 3.0) from the file's first bytes (the whole header).
 * @throws {CliError} for anything but little-endian float32/float64/int32/int64 in C order.
 */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  const dataStart = npyHeaderLength(bytes, name);
  const major = bytes[6]!;
  if (dataStart > bytes.length) throw new CliError(`${name}: truncated .npy header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(major === 1 ? 10 : 12, dataStart),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new CliError(`${name}: malformed .npy header: ${header.trim()}`);
  }
  const dtype = DESCR[descr];
  if (dtype === undefined) {
    throw new CliError(
      `${name}: unsupported dtype '${descr}' (supported: little-endian float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8')`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0)
        throw new CliError(`${name}: bad shape (${shapeText}) in .npy header`);
      return n;
    });
  if (fortran === 'True' && shape.filter((s) => s > 1).length > 1) {
    throw new CliError(`${name}: Fortran-order (column-major) arrays are not supported; save with C order`);
  }
  const byteLength = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
  return { dtype, shape, dataStart, byteLength };
}

/**
 * Decodes a NumPy `.npy` file (format 1.0 to 3.0): little-endian float32/float64/int32/int64 in C
 * order. Anything else is a {@link CliError} naming what was found.
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const { dtype, shape, dataStart, byteLength } = parseNpyHeader(bytes, name);
  if (bytes.length - dataStart !== byteLength) {
    throw new CliError(
      `${name}: expected ${byteLength} bytes of ${dtype} data for shape (${shape.join(', ')}), found ${bytes.length - dataStart}`,
    );
  }
  return { dtype, shape, data: npyData(dtype, bytes.subarray(dataStart, dataStart + byteLength)) };
}

/** The typed array of `.npy` data bytes (copied, so aligned for the typed array). */
export function npyData(dtype: NpyDtype, bytes: Uint8Array): NpyArray['data'] {
  // A copy: Node's Buffer may share its pool, at an offset the typed array cannot take.
  const copy = new Uint8Array(bytes).buffer;
  return dtype === 'float32'
    ? new Float32Array(copy)
    : dtype === 'float64'
      ? new Float64Array(copy)
      : dtype === 'int32'
        ? new Int32Array(copy)
        : new BigInt64Array(copy);
}

/** Encodes a float array as a version 1.0 `.npy` file (little-endian, C order). */
export function encodeNpy(data: Float32Array | Float64Array, shape: readonly number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64);
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
