import { writeFile } from 'node:fs/promises';
import { multilabelMarginLoss, multilabelMarginLossWithGrad } from '../functional.js';
import { toNested } from '../toNested.js';
import { CliError } from './CliError.js';
import type { CliIo } from './io.js';
import { encodeNpy } from './npy.js';
import { parseArgs, required } from './parseArgs.js';
import { readNpyFile } from './readNpyFile.js';

const REDUCTIONS = ['none', 'mean', 'sum'];

/** Writes a file; an I/O error is a {@link CliError} naming the path and the reason. */
async function writeUserFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(path, bytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot write ${path}: ${code ?? (error instanceof Error ? error.message : String(error))}`,
    );
  }
}

/**
 * `mlml loss --input X.npy --target Y.npy [--reduction R] [--backend B] [--grad-out G.npy]`:
 * prints the loss as JSON; with `--grad-out`, also writes the gradient w.r.t. the input
 * (for grad_output = ones) to G.npy. Each file is read up to its header's size, at most
 * `MAX_NPY_BYTES` (2 GiB) of data; an unreadable or unwritable path is a {@link CliError}.
 */
export async function lossCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(args, { single: ['input', 'target', 'reduction', 'backend', 'grad-out'] });
  const reduction = parsed.get('reduction')?.[0] ?? 'mean';
  if (!REDUCTIONS.includes(reduction)) {
    throw new CliError(`--reduction must be one of ${REDUCTIONS.join(', ')}, got '${reduction}'`);
  }
  const input = await readNpyFile(required(parsed, 'input'));
  const target = await readNpyFile(required(parsed, 'target'));
  if (input.dtype !== 'float32' && input.dtype !== 'float64') {
    throw new CliError(`--input must hold float32 or float64, found ${input.dtype}`);
  }
  if (target.dtype !== 'int32' && target.dtype !== 'int64') {
    throw new CliError(`--target must hold int64 or int32 class indices, found ${target.dtype}`);
  }
  const options = {
    reduction: reduction as 'none' | 'mean' | 'sum',
    backend: parsed.get('backend')?.[0] ?? 'auto',
  };
  const x = { data: input.data as Float32Array | Float64Array, shape: input.shape };
  const y = { data: target.data as Int32Array | BigInt64Array, shape: target.shape };
  const gradPath = parsed.get('grad-out')?.[0];
  if (gradPath === undefined) {
    const output = await multilabelMarginLoss(x, y, options);
    io.out(
      JSON.stringify({
        backend: output.backend,
        reduction,
        shape: output.shape,
        loss: jsonNested(toNested(output)),
      }),
    );
    return 0;
  }
  const { output, gradInput } = await multilabelMarginLossWithGrad(x, y, undefined, options);
  await writeUserFile(gradPath, encodeNpy(gradInput.data, gradInput.shape));
  io.out(
    JSON.stringify({
      backend: output.backend,
      reduction,
      shape: output.shape,
      loss: jsonNested(toNested(output)),
      grad_input: { path: gradPath, shape: gradInput.shape, dtype: input.dtype },
    }),
  );
  return 0;
}

/** JSON has no NaN/Infinity: write them as strings, as mlml-golden-v1 does. */
function jsonNested(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonNested);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}
