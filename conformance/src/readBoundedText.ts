import { open } from 'node:fs/promises';

/** The largest golden file read: far above the built-in ones (the largest is about 1 MB). @default 256 MiB */
export const MAX_FIXTURE_BYTES = 256 * 1024 * 1024;

/**
 * Reads a UTF-8 text file of at most `maxBytes`, a regular file or a stream alike: an endless
 * stream such as `/dev/zero` stops at the limit instead of filling memory.
 * @throws {Error} with `code: 'EFBIG'` past the limit (and the file system's own errors).
 */
export async function readBoundedText(path: string, maxBytes = MAX_FIXTURE_BYTES): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size, isFile } = await file.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (isFile && size > maxBytes) throw tooLarge(path, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(path, maxBytes);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    await file.close();
  }
}

function tooLarge(path: string, maxBytes: number): Error {
  return Object.assign(
    new Error(`${path} is larger than ${maxBytes} bytes, the most a golden file may have`),
    {
      code: 'EFBIG',
    },
  );
}
