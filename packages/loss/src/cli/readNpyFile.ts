import { type FileHandle, open } from 'node:fs/promises';
import { CliError } from './CliError.js';
import { NPY_PREAMBLE_BYTES, type NpyArray, npyData, npyHeaderLength, parseNpyHeader } from './npy.js';

/**
 * The largest `.npy` file `mlml loss` reads: 2 GiB of data (512 Mi float32 elements). A larger
 * header declaration, or more bytes than the header declares (an endless stream such as
 * `/dev/zero`), is refused before it is read.
 */
export const MAX_NPY_BYTES = 2 ** 31;

/** The largest `.npy` header accepted (NumPy writes 128 bytes or a few more for long shapes). */
const MAX_HEADER_BYTES = 1 << 20;

function ioError(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  return new CliError(
    `cannot read ${path}: ${code ?? (error instanceof Error ? error.message : String(error))}`,
  );
}

/** Reads exactly `length` bytes at the current position; fewer only at the end of the file/stream. */
async function readExactly(file: FileHandle, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Reads a `.npy` file, a pipe or a device, never more than its header declares (at most
 * `maxBytes` of data): the header first, then exactly the declared data, then one byte more to
 * check that the file ends there.
 * @throws {CliError} for an I/O error (`cannot read PATH: ENOENT`), a malformed header, data larger
 *   than `maxBytes`, or a file shorter or longer than its header says.
 */
export async function readNpyFile(path: string, maxBytes: number = MAX_NPY_BYTES): Promise<NpyArray> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw ioError(path, error);
  }
  try {
    let preamble: Uint8Array;
    let header: Uint8Array;
    let data: Uint8Array;
    let extra: Uint8Array;
    try {
      preamble = await readExactly(file, NPY_PREAMBLE_BYTES);
      const headerLength = npyHeaderLength(preamble, path);
      if (headerLength > MAX_HEADER_BYTES) {
        throw new CliError(`${path}: .npy header of ${headerLength} bytes (at most ${MAX_HEADER_BYTES})`);
      }
      header = new Uint8Array(Math.max(headerLength, preamble.length));
      header.set(preamble);
      if (headerLength > preamble.length)
        header.set(await readExactly(file, headerLength - preamble.length), preamble.length);
      const { dtype, shape, dataStart, byteLength } = parseNpyHeader(header, path);
      if (byteLength > maxBytes) {
        throw new CliError(
          `${path}: ${byteLength} bytes of ${dtype} data for shape (${shape.join(', ')}), more than the maximum of ${maxBytes} bytes`,
        );
      }
      // A short header (a tiny file) may hold data bytes already read with the preamble.
      const already = header.subarray(dataStart);
      data = new Uint8Array(byteLength);
      data.set(already.subarray(0, byteLength));
      const rest = await readExactly(file, Math.max(0, byteLength - already.length));
      data.set(rest, Math.min(already.length, byteLength));
      const found = Math.min(already.length, byteLength) + rest.length;
      if (found < byteLength) {
        throw new CliError(
          `${path}: expected ${byteLength} bytes of ${dtype} data for shape (${shape.join(', ')}), found ${found}`,
        );
      }
      extra = already.length > byteLength ? already.subarray(byteLength) : await readExactly(file, 1);
      if (extra.length > 0) {
        throw new CliError(
          `${path}: more than the ${byteLength} bytes of ${dtype} data its header declares for shape (${shape.join(', ')})`,
        );
      }
      return { dtype, shape, data: npyData(dtype, data) };
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw ioError(path, error);
    }
  } finally {
    await file.close().catch(() => undefined);
  }
}
