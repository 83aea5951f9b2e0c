import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend, registerBackend } from '@mlml/core-spec';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { encodeNpy } from '../src/cli/npy.js';
import { readNpyFile } from '../src/cli/readNpyFile.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const scratch = mkdtempSync(join(tmpdir(), 'mlml-cli-limits-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function expectOneLine(r: { code: number; err: string }, message: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
}

const loss = (...extra: string[]) => [
  'loss',
  '--input',
  fixture('x_f32.npy'),
  '--target',
  fixture('y_i64.npy'),
  '--backend',
  'reference-limits',
  ...extra,
];

beforeAll(() => {
  registerBackend('reference-limits', createReferenceBackend, { priority: -100 });
});

describe('mlml CLI: I/O errors are one line and exit code 2', () => {
  it('an unwritable --grad-out (missing folder, a directory) is one line, not a stack trace', async () => {
    expectOneLine(
      await run(...loss('--grad-out', join(scratch, 'no', 'such', 'dir', 'g.npy'))),
      /cannot write .*g\.npy: ENOENT/,
    );
    expectOneLine(await run(...loss('--grad-out', scratch)), /cannot write .*: EISDIR/);
  });

  it('a directory as --input is one line', async () => {
    expectOneLine(
      await run('loss', '--input', scratch, '--target', fixture('y_i64.npy')),
      /cannot read .*: EISDIR/,
    );
  });

  it('an endless stream (/dev/zero) is refused at once, without reading it', async () => {
    const before = process.memoryUsage().rss;
    expectOneLine(
      await run('loss', '--input', '/dev/zero', '--target', fixture('y_i64.npy')),
      /\/dev\/zero: not a \.npy file/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });

  it('a stream with a valid header and endless data stops after the declared bytes', async () => {
    const path = join(scratch, 'long.npy');
    const valid = encodeNpy(new Float32Array([1, 2, 3, 4]), [1, 4]);
    writeFileSync(path, Buffer.concat([valid, Buffer.alloc(1000)]));
    expectOneLine(
      await run('loss', '--input', path, '--target', fixture('y_i64.npy')),
      /more than the 16 bytes of float32 data its header declares/,
    );
  });

  it('a header declaring more than the maximum is refused before its data is read', async () => {
    const path = join(scratch, 'huge.npy');
    const header = encodeNpy(new Float32Array(0), [0]);
    const text = Buffer.from(header).toString('latin1').replace("'shape': (0,)", "'shape': (70000, 10000)");
    writeFileSync(path, Buffer.from(text, 'latin1'));
    expectOneLine(
      await run('loss', '--input', path, '--target', fixture('y_i64.npy')),
      /2800000000 bytes of float32 data for shape \(70000, 10000\), more than the maximum of 2147483648 bytes/,
    );
    await expect(readNpyFile(fixture('x_f32.npy'), 8)).rejects.toThrow(/more than the maximum of 8 bytes/);
  });

  it('reads a file that is shorter than its header says as one line', async () => {
    const path = join(scratch, 'short.npy');
    const valid = encodeNpy(new Float32Array([1, 2, 3, 4]), [1, 4]);
    writeFileSync(path, valid.subarray(0, valid.length - 3));
    expectOneLine(
      await run('loss', '--input', path, '--target', fixture('y_i64.npy')),
      /expected 16 bytes .* found 13/,
    );
  });

  it('reads the same values as the whole-file parser', async () => {
    const array = await readNpyFile(fixture('x_f32.npy'));
    expect([array.dtype, array.shape]).toEqual(['float32', [2, 4]]);
  });

  it('an unknown command prints one line', async () => {
    const r = await run('frobnicate');
    expectOneLine(
      r,
      /^mlml: unknown command 'frobnicate' \(commands: backends, conformance, run, loss; see mlml --help\)$/,
    );
  });
});

describe('readBoundedFile (for files the CLI reads whole, e.g. fixtures)', () => {
  it('reads a file whole, and stops an endless stream at the maximum', async () => {
    const { readBoundedFile } = await import('../src/cli/readBoundedFile.js');
    const path = join(scratch, 'text.json');
    writeFileSync(path, '{"a": 1}');
    expect(new TextDecoder().decode(await readBoundedFile(path))).toBe('{"a": 1}');
    await expect(readBoundedFile('/dev/zero', 1 << 20)).rejects.toThrow(
      /\/dev\/zero: more than 1048576 bytes/,
    );
    await expect(readBoundedFile(path, 4)).rejects.toThrow(/more than 4 bytes/);
    await expect(readBoundedFile(scratch)).rejects.toThrow(/cannot read .*: EISDIR/);
    await expect(readBoundedFile(join(scratch, 'missing.json'))).rejects.toThrow(/cannot read .*: ENOENT/);
  });
});
