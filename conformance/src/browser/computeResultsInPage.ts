import { createBackend, type FloatArray, type ILossBackend, isLossError, type Tensor } from '@mlml/loss';
import { encodeFloat } from '../floatEncoding.js';
import { type GoldenFile, toLossOptions } from '../GoldenFile.js';
import { describeError } from '../runConformance.js';
import { unavailableReason } from './runMatrixInPage.js';

function encodeTensor(tensor: Tensor<FloatArray>): { shape: number[]; data: (number | string)[] } {
  return { shape: [...tensor.shape], data: Array.from(tensor.data, encodeFloat) };
}

/**
 * `mlml run` in this page: every case of the golden files computed on one backend (forward, or
 * forwardBackward when the case has grad_output), nothing compared, as `mlml-results-v1` JSON text.
 * Returns the reason instead when the backend does not initialise.
 */
export async function computeResultsInPage(
  backendName: string,
  fixtures: readonly GoldenFile[],
): Promise<{ json?: string; unavailable?: string }> {
  let backend: ILossBackend;
  try {
    backend = await createBackend(backendName);
  } catch (error) {
    return { unavailable: unavailableReason(error) };
  }
  const cases: unknown[] = [];
  try {
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
  } finally {
    await backend.dispose().catch(() => undefined);
  }
  return { json: `${JSON.stringify({ format: 'mlml-results-v1', backend: backendName, cases })}\n` };
}
