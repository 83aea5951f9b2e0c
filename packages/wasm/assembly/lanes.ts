// Lane helpers shared by the counting passes (rows.ts, slots.ts, buckets.ts).

/** Lanes 2-3 of a 4-lane f32 group, as f64x2 (lanes 0-1 are f64x2.promote_low_f32x4's). */
@inline
export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

/** Lanes 2-3 of a 4-lane i32 group, as f64x2 (lanes 0-1 are f64x2.convert_low_i32x4_s's). */
@inline
export function convertHigh(k: v128): v128 {
  return f64x2.convert_low_i32x4_s(i32x4.shuffle(k, k, 2, 3, 2, 3));
}

/** Four 32-bit lanes, lane i loaded from `base + ai` (byte offsets). */
@inline
export function gather4(base: usize, a0: usize, a1: usize, a2: usize, a3: usize): v128 {
  let v = v128.load32_zero(base + a0);
  v = v128.load32_lane(base + a1, v, 1);
  v = v128.load32_lane(base + a2, v, 2);
  return v128.load32_lane(base + a3, v, 3);
}

/**
 * A 4-lane group's gradient, (k · g) · grad_output rounded once to f32, from its counts k given
 * as two f64x2 halves (lanes 0-1 and 2-3).
 */
@inline
export function gradientLanes(kl: v128, kh: v128, g: v128, scale: v128): v128 {
  const gl = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.mul(kl, g), scale));
  const gh = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.mul(kh, g), scale));
  return i32x4.shuffle(gl, gh, 0, 1, 4, 5);
}
