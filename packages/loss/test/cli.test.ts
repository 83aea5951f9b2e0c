import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend, registerBackend } from '@mlml/core-spec';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { parseNpy } from '../src/cli/npy.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(() => {
  registerBackend('reference', createReferenceBackend, { priority: -100 });
});

describe('mlml loss', () => {
  // Expected values computed by PyTorch 1.13.1 on the same .npy files.
  it('prints the loss of .npy arrays for each reduction', async () => {
    const cases: [string, unknown][] = [
      ['none', [0.8500000238418579, 1.1749999523162842]],
      ['sum', 2.0250000953674316],
      ['mean', 1.0125000476837158],
    ];
    for (const [reduction, loss] of cases) {
      const r = await run(
        'loss',
        '--input',
        fixture('x_f32.npy'),
        '--target',
        fixture('y_i64.npy'),
        '--reduction',
        reduction,
        '--backend',
        'reference',
      );
      expect(r.code, r.err).toBe(0);
      const printed = JSON.parse(r.out);
      expect(printed).toMatchObject({ backend: 'reference', reduction });
      // Within float32 rounding of PyTorch's numbers (it rounds each term; we round once).
      const ours = [printed.loss].flat() as number[];
      const torch = [loss].flat() as number[];
      expect(ours).toHaveLength(torch.length);
      for (const [i, v] of ours.entries()) {
        expect(Math.abs(v - torch[i]!)).toBeLessThanOrEqual(2e-7 * Math.abs(torch[i]!));
      }
    }
  });

  it('accepts float64 input and int32 targets', async () => {
    const r = await run(
      'loss',
      '--input',
      fixture('x_f64.npy'),
      '--target',
      fixture('y_i32.npy'),
      '--backend',
      'reference',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).loss).toBeCloseTo(1.0124999973922968, 14);
  });

  it('writes the gradient with --grad-out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mlml-cli-')), 'g.npy');
    const r = await run(
      'loss',
      '--input',
      fixture('x_f32.npy'),
      '--target',
      fixture('y_i64.npy'),
      '--backend',
      'reference',
      '--grad-out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    const grad = parseNpy(readFileSync(out), out);
    expect([grad.dtype, grad.shape]).toEqual(['float32', [2, 4]]);
    expect(Array.from(grad.data as Float32Array)).toEqual([-0.25, 0.25, 0.25, -0.25, 0.25, 0, -0.5, 0.25]);
  });

  it('turns bad files and arguments into one line and exit code 2', async () => {
    const bad: [string[], RegExp][] = [
      [['loss', '--target', fixture('y_i64.npy')], /missing required option --input/],
      [
        ['loss', '--input', fixture('x_f32_be.npy'), '--target', fixture('y_i64.npy')],
        /unsupported dtype '>f4'/,
      ],
      [
        ['loss', '--input', fixture('y_i64.npy'), '--target', fixture('y_i64.npy')],
        /--input must hold float32 or float64, found int64/,
      ],
      [
        ['loss', '--input', fixture('x_f32.npy'), '--target', fixture('x_f32.npy')],
        /--target must hold int64 or int32/,
      ],
      [
        ['loss', '--input', '/nonexistent.npy', '--target', fixture('y_i64.npy')],
        /cannot read \/nonexistent.npy: ENOENT/,
      ],
      [
        ['loss', '--input', fixture('x_f32.npy'), '--target', fixture('y_i64.npy'), '--reduction', 'avg'],
        /--reduction must be one of/,
      ],
      [
        ['loss', '--input', fixture('x_f32.npy'), '--target', fixture('y_i64.npy'), '--bogus', '1'],
        /unknown option --bogus/,
      ],
      [
        ['loss', '--input', fixture('x_f32.npy'), '--target', fixture('y_i64.npy'), '--backend', 'nope'],
        /UNKNOWN_BACKEND/,
      ],
      [['loss', '--input'], /option --input needs a value/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [argv, message] of bad) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('reports a loss argument error with its code (target shape mismatch)', async () => {
    const r = await run(
      'loss',
      '--input',
      fixture('x_f32.npy'),
      '--target',
      fixture('x_u8.npy'),
      '--backend',
      'reference',
    );
    expect(r.code).toBe(2);
    const shape = await run(
      'loss',
      '--input',
      fixture('x_f32_v2.npy'),
      '--target',
      fixture('y_i32.npy'),
      '--backend',
      'reference',
    );
    expect(shape.code, shape.err).toBe(0);
  });
});

describe('mlml backends', () => {
  it('lists every registered backend with its status', async () => {
    const r = await run('backends');
    expect(r.code).toBe(0);
    for (const name of ['wasm', 'webgpu', 'cpu-ts', 'reference']) expect(r.out).toContain(name);
    expect(r.out).toMatch(/reference\s+-100\s+available\s+float32, float64/);
    // This machine has several cores: wasm computes on worker threads too.
    expect(r.out).toMatch(/wasm\s+30\s+available\s+float32, float64; [2-4] threads/);
  });
});
