import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dtype } from '@mlml/core-spec';
import { DEFAULT_TOLERANCE, repeatedAdditionTolerance } from './agreement.js';
import type { Contender } from './Contender.js';
import type { BenchData } from './generateData.js';
import type { TorchRunner } from './torchRunner.js';

/** The row name of PyTorch timed with `threads` threads: `torch` for one, `torch-4t` for four. */
export function torchRowName(threads: number): string {
  return threads === 1 ? 'torch' : `torch-${threads}t`;
}

function caseId(data: BenchData): string {
  return `${data.shape.id}-${data.dtype}`;
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * PyTorch's CPU kernel as a contender: `F.multilabel_margin_loss` (mean) forward, and forward +
 * `backward()` through autograd, timed by the Python process on the same arrays (written as raw
 * files into `workDir`). Values come back as the loss and a gradient file, for the agreement check.
 */
export function torchContender(runner: TorchRunner, threads: number, workDir: string): Contender {
  const name = torchRowName(threads);
  const written = new Set<string>();
  return {
    name,
    kind: 'peer',
    description: `PyTorch ${runner.info.torch} CPU kernel (Python ${runner.info.python}), torch.set_num_threads(${threads})`,
    // PyTorch's backward adds ±1/(N·C) in the input's dtype once per counted pair.
    tolerance: (dtype: Dtype, shape) => ({
      output: DEFAULT_TOLERANCE[dtype],
      gradInput: repeatedAdditionTolerance(dtype, shape.classes),
    }),
    skipReason: () => undefined,
    prepare: async (data) => {
      const id = caseId(data);
      const inputPath = join(workDir, `${id}.input.bin`);
      const targetPath = join(workDir, `${id}.target.bin`);
      if (!written.has(id)) {
        await writeFile(inputPath, bytesOf(data.input.data));
        await writeFile(targetPath, bytesOf(data.target.data));
        written.add(id);
      }
      const [batch, classes] = data.input.shape as [number, number];
      await runner.request({
        cmd: 'load',
        id,
        input: inputPath,
        target: targetPath,
        dtype: data.dtype,
        batch,
        classes,
      });
      return {
        values: async (mode) => {
          const gradPath = join(workDir, `${id}.grad.bin`);
          const reply = await runner.request({ cmd: 'values', id, mode, grad_path: gradPath });
          const output = [Number(reply.output)];
          if (mode === 'forward') return { output };
          const bytes = await readFile(gradPath);
          const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
          const gradInput = data.dtype === 'float32' ? new Float32Array(copy) : new Float64Array(copy);
          return { output, gradInput };
        },
        time: async (mode, options) => {
          const reply = await runner.request({
            cmd: 'time',
            id,
            mode,
            threads,
            time_ms: options.timeMs,
            min_repeats: options.minIterations,
            warmup_ms: options.warmupMs,
            warmup_iterations: options.warmupIterations,
          });
          return {
            medianMs: Number(reply.median_ms),
            meanMs: Number(reply.mean_ms),
            minMs: Number(reply.min_ms),
            rme: reply.rme === null ? Number.NaN : Number(reply.rme),
            samples: Number(reply.samples),
          };
        },
        release: async () => {
          await runner.request({ cmd: 'free', id });
        },
      };
    },
    dispose: async () => {},
  };
}
