import type { Storage } from './CallRecipe.js';

/** The typed array constructors the fuzzer builds arrays of. */
export type NumericArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Uint8ArrayConstructor;

/** A typed array the fuzzer builds. */
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/** Elements of guard on each side of an offset view or subarray. */
const GUARD = 3;

/** The byte every guard byte is filled with. */
const GUARD_BYTE = 0xa5;

/**
 * A typed array of `values` held as `storage` says: its own buffer, a `SharedArrayBuffer`, a view
 * `GUARD` elements into a larger buffer, a `subarray` of a larger array, or shared and offset. The
 * bytes around the view are guard bytes (0xA5), so a write outside the view shows.
 */
export function heldArray<C extends NumericArrayConstructor>(
  Ctor: C,
  values: ArrayLike<number>,
  storage: Storage,
): InstanceType<C> {
  const length = values.length;
  const bytes = Ctor.BYTES_PER_ELEMENT;
  const offset = storage === 'offset' || storage === 'subarray' || storage === 'sharedOffset' ? GUARD : 0;
  const total = (length + 2 * offset) * bytes;
  // Typed as ArrayBuffer: the constructors' typings take only that, though they accept both.
  const buffer = (
    storage === 'shared' || storage === 'sharedOffset' ? new SharedArrayBuffer(total) : new ArrayBuffer(total)
  ) as ArrayBuffer;
  new Uint8Array(buffer).fill(GUARD_BYTE);
  let array: NumericArray;
  if (storage === 'subarray') array = new Ctor(buffer).subarray(offset, offset + length);
  else array = new Ctor(buffer, offset * bytes, length);
  for (let i = 0; i < length; i++) array[i] = values[i]!;
  return array as InstanceType<C>;
}

/** A copy of every byte of the buffer behind `view` (the view and whatever surrounds it). */
export function snapshotBuffer(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer).slice();
}

/**
 * The first byte index (in the whole buffer) where `view`'s buffer differs from `before`, only
 * outside the view's own bytes when `outsideOnly`; -1 when none.
 */
export function firstChangedByte(view: ArrayBufferView, before: Uint8Array, outsideOnly: boolean): number {
  const now = new Uint8Array(view.buffer);
  const from = view.byteOffset;
  const to = view.byteOffset + view.byteLength;
  for (let i = 0; i < now.length; i++) {
    if (outsideOnly && i >= from && i < to) continue;
    if (now[i] !== before[i]) return i;
  }
  return -1;
}
