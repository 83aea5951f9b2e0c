import type { BackendOutcome, MatrixResult } from '../cli.js';
import { matrixGroup } from '../cli.js';
import type { PageBackendOutcome } from './protocol.js';

/**
 * The page's outcomes as the Node matrix's result, for `formatMatrix`. In a browser every backend
 * counts as named explicitly: one that does not initialise (e.g. no WebGPU adapter) is a failure.
 */
export function toMatrixResult(
  outcomes: readonly PageBackendOutcome[],
  sources: readonly string[],
): MatrixResult {
  const backends: BackendOutcome[] = outcomes.map((o) => ({
    name: o.name,
    explicit: true,
    ...(o.report === undefined ? {} : { report: o.report }),
    ...(o.unavailable === undefined ? {} : { unavailable: o.unavailable }),
  }));
  const groups: string[] = [];
  for (const backend of backends) {
    for (const result of backend.report?.cases ?? []) {
      const group = matrixGroup(result);
      if (!groups.includes(group)) groups.push(group);
    }
  }
  const ok = backends.length > 0 && backends.every((b) => b.report !== undefined && b.report.failed === 0);
  return { backends, groups, sources, ok };
}
