import { createBackend, type ILossBackend } from '@mlml/loss';
import { computeResults } from '../computeResults.js';
import type { GoldenFile } from '../GoldenFile.js';
import { unavailableReason } from './runMatrixInPage.js';

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
  try {
    return { json: await computeResults(backend, backendName, fixtures) };
  } finally {
    await backend.dispose().catch(() => undefined);
  }
}
