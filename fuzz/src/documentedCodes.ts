import type { LossErrorCode } from '@mlml/core-spec';

// Record<LossErrorCode, true>: the compiler fails here when core-spec adds or removes a code.
const CODES = {
  INVALID_REDUCTION: true,
  INVALID_OPTIONS: true,
  INVALID_DTYPE: true,
  INVALID_SHAPE: true,
  TARGET_SHAPE_MISMATCH: true,
  TARGET_OUT_OF_RANGE: true,
  GRAD_OUTPUT_SHAPE_MISMATCH: true,
  UNSUPPORTED_DTYPE: true,
  BACKEND_DISPOSED: true,
  INPUT_TOO_LARGE: true,
  UNKNOWN_BACKEND: true,
  BACKEND_UNAVAILABLE: true,
  DEVICE_LOST: true,
  UNSUPPORTED_LOCATION: true,
} satisfies Record<LossErrorCode, true>;

/** Every code of core-spec's `LossErrorCode`: a rejection with any other code is a finding. */
export const DOCUMENTED_CODES: readonly LossErrorCode[] = Object.keys(CODES) as LossErrorCode[];
