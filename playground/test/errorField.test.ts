import { LossError, multilabelMarginLoss } from '@mlml/loss';
import { describe, expect, it } from 'vitest';
import { errorText, fieldOfError } from '../src/errorField.ts';
import { JsonFieldError, parseJsonField } from '../src/parseJsonField.ts';

async function errorOf(input: unknown, target: unknown, options: object = {}): Promise<unknown> {
  return multilabelMarginLoss(input as number[][], target as number[][], {
    backend: 'cpu-ts',
    ...options,
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('where the Compute tab shows an error', () => {
  it('puts each library error beside the field it is about', async () => {
    expect(fieldOfError(await errorOf([[1, 2]], [[5, -1]]))).toBe('target'); // out of range
    expect(fieldOfError(await errorOf([[1, 2]], [[0, -1, 1]]))).toBe('target'); // shape mismatch
    expect(fieldOfError(await errorOf([[1, 2]], [[0.5, -1]]))).toBe('target'); // not integers
    expect(fieldOfError(await errorOf([[[1]]], [[[0]]]))).toBe('input'); // rank 3
    expect(fieldOfError(await errorOf([[1, 2], [3]], [[0], [0]]))).toBe('input'); // ragged
    expect(fieldOfError(await errorOf([[1, 2]], [[0, -1]], { reduction: 'avg' }))).toBe('reduction');
    expect(fieldOfError(new Error('device lost'))).toBe('call');
  });

  it('shows a LossError as its code and message', () => {
    expect(errorText(new LossError('INVALID_SHAPE', 'bad'))).toBe('INVALID_SHAPE: bad');
    expect(errorText(new Error('plain'))).toBe('plain');
  });
});

describe('parseJsonField', () => {
  it('reads nested numbers, with "NaN" and "Infinity" strings as numbers', () => {
    expect(parseJsonField('[[0.1, "NaN"], ["-Infinity", 2]]')).toEqual([
      [0.1, Number.NaN],
      [Number.NEGATIVE_INFINITY, 2],
    ]);
  });

  it('says the text is not JSON', () => {
    expect(() => parseJsonField('[[0.1,')).toThrow(JsonFieldError);
    expect(() => parseJsonField('[[0.1,')).toThrow(/^not JSON: /);
  });
});
