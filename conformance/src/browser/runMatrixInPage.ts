import { createBackend, type ILossBackend, listBackends } from '@mlml/loss';
import type { GoldenFile } from '../GoldenFile.js';
import type { LargeGoldenFile } from '../LargeGoldenFile.js';
import { describeError, runConformance } from '../runConformance.js';
import type { PageBackendOutcome } from './protocol.js';

/** Why `createBackend(name)` failed: the registry's reason for that backend, else the error. */
export function unavailableReason(error: unknown): string {
  const attempts = (error as { attempts?: readonly { reason: string }[] }).attempts;
  return attempts?.[0]?.reason ?? describeError(error);
}

/**
 * Runs the conformance suite (golden and large golden files) in this page on each backend (all registered ones for `all`), each
 * created fresh and disposed at the end with the `BACKEND_DISPOSED` check, as the Node matrix does.
 * A name the page does not register, or a backend that does not initialise, is unavailable.
 */
export async function runMatrixInPage(
  backends: 'all' | readonly string[],
  fixtures: { readonly golden: readonly GoldenFile[]; readonly large: readonly LargeGoldenFile[] },
  onBackend: (name: string) => void,
): Promise<PageBackendOutcome[]> {
  const registered = listBackends().map((b) => b.name);
  const names = backends === 'all' ? registered : backends;
  const outcomes: PageBackendOutcome[] = [];
  for (const name of names) {
    onBackend(name);
    if (!registered.includes(name)) {
      outcomes.push({
        name,
        unavailable: `not registered in the page (registered: ${registered.join(', ')})`,
      });
      continue;
    }
    let backend: ILossBackend;
    try {
      backend = await createBackend(name);
    } catch (error) {
      outcomes.push({ name, unavailable: unavailableReason(error) });
      continue;
    }
    const threads = backend.capabilities.threads ?? 1;
    try {
      const report = await runConformance(backend, {
        fixtures: fixtures.golden,
        largeFixtures: fixtures.large,
        checkDispose: true,
      });
      outcomes.push({ name, threads, report });
    } finally {
      await backend.dispose().catch(() => undefined);
    }
  }
  return outcomes;
}
