// Constants both row paths (rows.ts, narrow.ts) decide with.

/**
 * Row sums at or beyond this (every term is positive, so the sum bounds each term) are summed
 * term by term, like non-finite ones: huge values are where the decomposition could cancel.
 */
export const F32_SUM_GUARD: f64 = 8.507059173023462e37; // 2^126

/**
 * The lowest finite f32: a target position, lowered to it in the row's copy, is below every
 * threshold but -inf.
 */
export const LOWEST_F32: f32 = -3.4028234663852886e38;
