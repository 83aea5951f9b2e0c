/** Every error code mlml raises. The codes of DESIGN §2 keep their meaning forever. */
export type LossErrorCode =
  | 'INVALID_REDUCTION'
  | 'INVALID_OPTIONS'
  | 'INVALID_DTYPE'
  | 'INVALID_SHAPE'
  | 'TARGET_SHAPE_MISMATCH'
  | 'TARGET_OUT_OF_RANGE'
  | 'GRAD_OUTPUT_SHAPE_MISMATCH'
  | 'UNSUPPORTED_DTYPE'
  | 'BACKEND_DISPOSED'
  | 'INPUT_TOO_LARGE'
  | 'UNKNOWN_BACKEND'
  | 'BACKEND_UNAVAILABLE'
  | 'DEVICE_LOST'
  | 'UNSUPPORTED_LOCATION';

/** The codes of errors in the caller's arguments (as opposed to the environment). */
export const ARGUMENT_ERROR_CODES: readonly LossErrorCode[] = [
  'INVALID_REDUCTION',
  'INVALID_OPTIONS',
  'INVALID_DTYPE',
  'INVALID_SHAPE',
  'TARGET_SHAPE_MISMATCH',
  'TARGET_OUT_OF_RANGE',
  'GRAD_OUTPUT_SHAPE_MISMATCH',
];

/** The error every mlml package throws: a stable `code` and a message in PyTorch's wording. */
export class LossError extends Error {
  /** The stable, machine-readable reason. */
  readonly code: LossErrorCode;

  constructor(code: LossErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LossError';
    this.code = code;
  }
}

/** Whether `value` is a {@link LossError}, optionally with the given code (works across realms and copies). */
export function isLossError(value: unknown, code?: LossErrorCode): value is LossError {
  if (!(value instanceof Error) || value.name !== 'LossError') return false;
  const actual = (value as { code?: unknown }).code;
  return typeof actual === 'string' && (code === undefined || actual === code);
}

/** Formats a shape the way PyTorch prints sizes: `[5, 4]`, `[]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
