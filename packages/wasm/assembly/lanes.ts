// Lane helpers shared by the counting passes (rows.ts, slots.ts, buckets.ts).

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
