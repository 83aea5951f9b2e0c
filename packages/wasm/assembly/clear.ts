// Zeroing of small scratch parts: a loop of 16-byte stores, cheaper than memory.fill's call into
// the engine for the few hundred bytes a row needs.

/** Zeroes [p, p + bytes rounded up to 16); p is 16-byte aligned and the part has that room. */
@inline
export function clear16(p: usize, bytes: usize): void {
  const zero = i32x4.splat(0);
  for (let i: usize = 0; i < bytes; i += 16) v128.store(p + i, zero);
}
