import { type FloatArray, type ILossBackend, isLossError, type Tensor } from '@mlml/loss';
import { describeError } from './caseHelpers.js';
import { encodeFloat } from './floatEncoding.js';
import { type GoldenFile, toLossOptions } from './GoldenFile.js';

function encodeTensor(tensor: Tensor<FloatArray>): { shape: number[]; data: (number | string)[] } {
  return { shape: [...tensor.shape], data: Array.from(tensor.data, encodeFloat) };
}

/**
 * What `mlml run` computes, in Node or in a page: every case of the golden files on one backend
 * (forward, or forwardBackward when the case has grad_output), nothing compared, as
 * `mlml-results-v1` JSON text (one line). A case that throws is recorded with its error.
 */
export async function computeResults(
  backend: ILossBackend,
  backendName: string,
  fixtures: readonly GoldenFile[],
): Promise<string> {
  const cases: unknown[] = [];
  for (const file of fixtures) {
    for (const c of file.cases) {
      const options = toLossOptions(c.options);
      try {
        if (c.gradOutput !== undefined) {
          const r = await backend.forwardBackward(c.input, c.target, c.gradOutput, options);
          cases.push({ id: c.id, output: encodeTensor(r.output), grad_input: encodeTensor(r.gradInput) });
        } else {
          cases.push({ id: c.id, output: encodeTensor(await backend.forward(c.input, c.target, options)) });
        }
      } catch (error) {
        cases.push({
          id: c.id,
          error: isLossError(error)
            ? { code: error.code, message: error.message }
            : { code: 'INTERNAL_ERROR', message: describeError(error) },
        });
      }
    }
  }
  return `${JSON.stringify({ format: 'mlml-results-v1', backend: backendName, cases })}\n`;
}
