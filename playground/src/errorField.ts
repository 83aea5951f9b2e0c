import { isLossError } from '@mlml/loss';

/** The form fields an error can be shown beside. */
export type FieldName = 'input' | 'target' | 'reduction' | 'call';

/**
 * The field a library error is about: input shape and dtype errors go beside the input, target
 * errors beside the target, option errors beside the reduction; anything else beside the result.
 */
export function fieldOfError(error: unknown): FieldName {
  if (!isLossError(error)) return 'call';
  switch (error.code) {
    case 'INVALID_REDUCTION':
    case 'INVALID_OPTIONS':
      return 'reduction';
    case 'TARGET_SHAPE_MISMATCH':
    case 'TARGET_OUT_OF_RANGE':
      return 'target';
    case 'INVALID_SHAPE':
      return 'input';
    case 'INVALID_DTYPE':
      return /^target\b/.test(error.message) ? 'target' : 'input';
    default:
      return 'call';
  }
}

/** An error as shown to the user: the LossError's code and message, or the error's message. */
export function errorText(error: unknown): string {
  if (isLossError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
