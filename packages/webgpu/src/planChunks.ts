import { LossError } from '@mlml/core-spec';
import type { EffectiveLimits } from './acquireDevice.js';
import { LOSS_WORKGROUP_SIZE, STATUS_WORDS } from './shaders.js';

/** Classes one element-pass thread handles (a row has ceil(C / this) threads). */
export const CLASSES_PER_THREAD = 32;

/** How a call is cut into chunks of whole rows that fit the device's limits, and its row layout. */
export interface ChunkPlan {
  /** Rows per chunk (the last chunk may have fewer). */
  readonly rowsPerChunk: number;
  /** P: element-pass threads per row. */
  readonly segments: number;
  /** Slots per row for threshold keys, gap sums and the count histogram: at least max J + 1. */
  readonly keyStride: number;
  /** u32 words of a row's target bitmap. */
  readonly maskWords: number;
  /** u32 words of scratch per row: J, flags, keys, gap sums (4 words per slot), bitmap. */
  readonly scratchStride: number;
}

/** What the plan needs to know of a call. */
export interface PlanRequest {
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** The largest J of any row, or C when unknown (targets on the GPU). */
  readonly maxTargets: number;
  /** Whether the call computes a gradient (a histogram per row). */
  readonly withGradient: boolean;
  /** Chunk starts must be multiples of this many rows (aligned buffer offsets), >= 1. */
  readonly rowAlignment: number;
}

/**
 * Plans the chunks: every buffer a chunk binds must fit `maxStorageBufferBindingSize` and
 * `maxBufferSize`, and every dispatch must fit a 2-D grid. Sizes are computed in JavaScript
 * numbers (exact to 2^53), so nothing wraps. A single row too large for the device is an
 * `INPUT_TOO_LARGE` error naming the bytes needed and available.
 */
export function planChunks(request: PlanRequest, limits: EffectiveLimits): ChunkPlan {
  const { batch, classes, maxTargets, withGradient, rowAlignment } = request;
  const segments = Math.ceil(classes / classesPerThread(maxTargets));
  const keyStride = maxTargets + 1;
  const maskWords = Math.ceil(classes / 32);
  const scratchStride = 2 + 5 * keyStride + maskWords;
  const bytesPerRow = Math.max(classes * 4, scratchStride * 4, segments * 16, 16);
  const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const statusBytesPerRow = withGradient ? keyStride * 4 : 0;
  const fixedBytes = STATUS_WORDS * 4;
  const byMemory = Math.min(
    Math.floor(maxBytes / bytesPerRow),
    statusBytesPerRow === 0
      ? Number.POSITIVE_INFINITY
      : Math.floor((maxBytes - fixedBytes) / statusBytesPerRow),
  );
  const perDispatch = limits.maxComputeWorkgroupsPerDimension ** 2 * LOSS_WORKGROUP_SIZE;
  const byDispatch = Math.floor(perDispatch / segments);
  const fits = Math.min(batch, byMemory, byDispatch);
  const rowsPerChunk = fits >= batch ? batch : Math.floor(fits / rowAlignment) * rowAlignment;
  if (rowsPerChunk < 1) {
    const needed = Math.max(bytesPerRow * rowAlignment, fixedBytes + statusBytesPerRow * rowAlignment);
    throw new LossError(
      'INPUT_TOO_LARGE',
      `webgpu: ${rowAlignment === 1 ? 'one row' : `${rowAlignment} rows`} of ${classes} classes ` +
        `need${rowAlignment === 1 ? 's' : ''} ${needed} bytes in one buffer, more than the device's ` +
        `storage buffer limit of ${maxBytes} bytes`,
    );
  }
  return { rowsPerChunk, segments, keyStride, maskWords, scratchStride };
}

/**
 * Classes per element-pass thread: {@link CLASSES_PER_THREAD}, more for rows of more targets (a
 * thread copies up to 64 of its row's keys first, which more classes pay for).
 */
export function classesPerThread(maxTargets: number): number {
  return maxTargets <= 8 || maxTargets > 64
    ? CLASSES_PER_THREAD
    : Math.max(CLASSES_PER_THREAD, 4 * maxTargets);
}

/** A 2-D workgroup grid covering `count` workgroups with at most `maxPerDimension` per side. */
export function dispatchGrid(count: number, maxPerDimension: number): [number, number] {
  const x = Math.max(1, Math.min(count, maxPerDimension));
  return [x, Math.ceil(count / x)];
}
