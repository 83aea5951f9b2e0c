import { LossError } from '@mlml/core-spec';
import type { EffectiveLimits } from './acquireDevice.js';

/** How a problem is cut into dispatches of whole rows that fit the device's limits. */
export interface ChunkPlan {
  /** Rows per dispatch (the last chunk may have fewer). */
  readonly rowsPerChunk: number;
  /** u32 words of a row's target bitmap. */
  readonly maskWords: number;
  /** u32 words of scratch per row: the bitmap, plus a count histogram when gradients are computed. */
  readonly scratchStride: number;
}

/**
 * Plans the chunks: every buffer a dispatch binds (input, target, gradient, scratch) must fit
 * `maxStorageBufferBindingSize` and `maxBufferSize`, and the rows must fit a 2-D dispatch.
 * A single row too large for the device is an `INPUT_TOO_LARGE` error.
 */
export function planChunks(
  batch: number,
  classes: number,
  withGradient: boolean,
  limits: EffectiveLimits,
): ChunkPlan {
  const maskWords = Math.ceil(classes / 32);
  const scratchStride = maskWords + (withGradient ? classes + 1 : 0);
  const bytesPerRow = Math.max(classes * 4, scratchStride * 4, 16);
  const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const byMemory = Math.floor(maxBytes / bytesPerRow);
  if (byMemory < 1) {
    throw new LossError(
      'INPUT_TOO_LARGE',
      `webgpu: one row of ${classes} classes needs ${bytesPerRow} bytes per buffer, more than the ` +
        `device's storage buffer limit of ${maxBytes} bytes`,
    );
  }
  const byDispatch = limits.maxComputeWorkgroupsPerDimension ** 2;
  return { rowsPerChunk: Math.min(batch, byMemory, byDispatch), maskWords, scratchStride };
}

/** A 2-D workgroup grid covering `count` workgroups with at most `maxPerDimension` per side. */
export function dispatchGrid(count: number, maxPerDimension: number): [number, number] {
  const x = Math.max(1, Math.min(count, maxPerDimension));
  return [x, Math.ceil(count / x)];
}
