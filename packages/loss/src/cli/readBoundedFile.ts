import { type FileHandle, open } from 'node:fs/promises';
import { CliError } from './CliError.js';

/** The largest text file (a JSON fixture file) the CLI reads by default: 256 MiB. */
export const MAX_TEXT_FILE_BYTES = 256 * 2 ** 20;

/**
 * Reads a whole file, pipe or device, but never more than `maxBytes`: an endless stream such as
 * `/dev/zero` or a file that is too large stops at the limit with a {@link CliError}, instead of
 * filling memory.
 * @throws {CliError} `cannot read PATH: CODE` for an I/O error, or `PATH: more than N bytes`.
 */
export async function readBoundedFile(
  path: string,
  maxBytes: number = MAX_TEXT_FILE_BYTES,
): Promise<Uint8Array> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 20, maxBytes + 1 - total));
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.read(chunk, 0, chunk.length, null));
      } catch (error) {
        throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes)
        throw new CliError(`${path}: more than ${maxBytes} bytes (the maximum the CLI reads)`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  } finally {
    await file.close().catch(() => undefined);
  }
}
