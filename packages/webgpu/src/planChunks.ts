import { LossError } from '@mlml/core-spec';
import type { EffectiveLimits } from './acquireDevice.js';
import {
  BUCKET_ENTRY_WORDS,
  LOSS_WORKGROUP_SIZE,
  ROW_HEADER_WORDS,
  STATUS_WORDS,
  TargetPath,
  targetPathFor,
} from './shaders.js';

/**
 * Classes one element-pass thread handles (a row has ceil(C / this) threads): many, so that each
 * thread's setup (its row's header, the register path's keys and gap sums) and partial sum are
 * shared by many elements.
 */
export const CLASSES_PER_THREAD = 512;

/** Fewest classes per thread, when a call has too few rows to fill {@link MIN_THREADS} threads. */
export const MIN_CLASSES_PER_THREAD = 64;

/** Element-pass threads a call keeps when it can (64 workgroups: every core busy). */
export const MIN_THREADS = 4096;

/**
 * P: element-pass threads per row: C / {@link CLASSES_PER_THREAD}, more (up to C /
 * {@link MIN_CLASSES_PER_THREAD}) when the call's rows would leave fewer than
 * {@link MIN_THREADS} threads.
 */
export function segmentsFor(batch: number, classes: number): number {
  const fewest = Math.ceil(classes / CLASSES_PER_THREAD);
  const most = Math.ceil(classes / MIN_CLASSES_PER_THREAD);
  return Math.max(fewest, Math.min(most, Math.ceil(MIN_THREADS / Math.max(1, batch))));
}

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
  /** u32 words of an element-pass thread's target bits (a bit per element of the thread). */
  readonly threadMaskWords: number;
  /**
   * u32 words of scratch per row: header, keys, gap sums (4 words per slot), threshold values,
   * bitmap, bucket table, the threads' target bits.
   */
  readonly scratchStride: number;
  /** B: buckets of a row's table on the searched path (0 on the others). */
  readonly buckets: number;
  /** How the element pass finds counts, for rows of at most the call's largest J. */
  readonly path: TargetPath;
}

/** What the plan needs to know of a call. */
export interface PlanRequest {
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** The largest J of any row. */
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
  const segments = segmentsFor(batch, classes);
  const keyStride = maxTargets + 1;
  const maskWords = Math.ceil(classes / 32);
  const listPath = targetPathFor(maxTargets);
  const buckets = listPath === TargetPath.searched ? bucketsFor(maxTargets, classes) : 0;
  const path = buckets > 0 && buckets <= DENSE_BUCKETS_PER_KEY * maxTargets ? TargetPath.dense : listPath;
  const threadMaskWords = Math.ceil(Math.ceil(classes / segments) / 32);
  const tableWords = buckets > 0 ? BUCKET_ENTRY_WORDS * (buckets + 1) : 0;
  const scratchStride =
    ROW_HEADER_WORDS + 6 * keyStride + maskWords + tableWords + segments * threadMaskWords;
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
  return { rowsPerChunk, segments, keyStride, maskWords, threadMaskWords, scratchStride, buckets, path };
}

/**
 * A table of at most this many buckets per threshold (fewer than the 8 wanted: capped by the row's
 * width) takes the dense path: entries that count three keys exactly, and an element of a bucket
 * of more searches the row's keys where it is (no thread redone), so that buckets holding several
 * keys cost little.
 */
export const DENSE_BUCKETS_PER_KEY = 4;

/** Most buckets of a row's table. */
export const MAX_BUCKETS = 8192;

/**
 * Buckets of a row's table: a power of two, about eight per threshold, so that most elements fall
 * in an empty bucket (whose entry holds all they need) and a bucket of three keys or more is rare
 * (an element there sends its element-pass thread through its elements again, searching); at
 * most {@link MAX_BUCKETS}, and at most an eighth of the classes: the prep builds each row's
 * table serially, a few operations per bucket, in all about as many as the element pass spends on
 * an element, so a table of C/2 buckets cost more than the keyed buckets it spared (64x4096
 * J=1024: C/8 forward 0.8-0.93x of C/2 on the dense path; J=256, then 2048 buckets, 0.8-0.9x).
 */
export function bucketsFor(maxTargets: number, classes: number): number {
  const wanted = 2 ** Math.ceil(Math.log2(Math.max(2, 8 * maxTargets)));
  const rowCap = 2 ** Math.floor(Math.log2(Math.max(4, classes / 8)));
  return Math.min(MAX_BUCKETS, wanted, rowCap);
}

/** A 2-D workgroup grid covering `count` workgroups with at most `maxPerDimension` per side. */
export function dispatchGrid(count: number, maxPerDimension: number): [number, number] {
  const x = Math.max(1, Math.min(count, maxPerDimension));
  return [x, Math.ceil(count / x)];
}

/**
 * Rows per chunk of the target count (a thread per row; each chunk's targets one binding), a
 * multiple of `rowAlignment` unless every row fits at once.
 */
export function planTargetCountChunks(
  batch: number,
  classes: number,
  rowAlignment: number,
  limits: EffectiveLimits,
): number {
  const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const perDispatch = limits.maxComputeWorkgroupsPerDimension ** 2 * LOSS_WORKGROUP_SIZE;
  const fits = Math.min(batch, Math.floor(maxBytes / (classes * 4)), perDispatch);
  const rows = fits >= batch ? batch : Math.floor(fits / rowAlignment) * rowAlignment;
  if (rows < 1) {
    throw new LossError(
      'INPUT_TOO_LARGE',
      `webgpu: ${rowAlignment} rows of ${classes} targets need ${rowAlignment * classes * 4} bytes in one ` +
        `buffer, more than the device's storage buffer limit of ${maxBytes} bytes`,
    );
  }
  return rows;
}
