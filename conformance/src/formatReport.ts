import type { Dtype, Tolerance } from '@mlml/core-spec';
import type { CaseResult, ConformanceReport } from './runConformance.js';
import { PYTORCH_DRIFT } from './tolerance.js';

/** A failed case in words: its id, file, and each difference (call, tensor, index, values, tolerance). */
export function formatCaseResult(result: CaseResult): string {
  const head = `${result.id} (${result.source}${result.dtype === undefined ? '' : `, ${result.dtype}`}): ${result.status}`;
  if (result.status !== 'failed') return result.reason === undefined ? head : `${head}: ${result.reason}`;
  const lines = result.differences.map((d) => {
    const where = d.index === undefined ? '' : ` at index ${d.index}`;
    const values =
      d.expected === undefined
        ? ''
        : ` (expected ${d.expected}, actual ${d.actual}${d.tolerance === undefined ? '' : `, tolerance ${d.tolerance.toPrecision(3)}`})`;
    const context = d.context === undefined ? '' : `\n      ${d.context}`;
    return `  - ${d.call} ${d.tensor}${where}: ${d.message}${values}${context}`;
  });
  return [head, ...lines].join('\n');
}

/**
 * The tolerances a report checked at, in words: per dtype the rtol/atol held against the exact
 * values (what the backend declares, capped at the suite's limit), plus PyTorch's drift against
 * PyTorch's numbers.
 */
export function formatTolerances(report: ConformanceReport): string {
  const parts = (Object.entries(report.tolerance) as [Dtype, Tolerance][]).map(
    ([dtype, t]) => `${dtype} rtol ${t.rtol} atol ${t.atol} (+ rtol ${PYTORCH_DRIFT[dtype]} against PyTorch)`,
  );
  return `held to the exact values within ${parts.length === 0 ? 'nothing (no dtype)' : parts.join(', ')}`;
}

/** A report summary: the counts, tolerances, notes, and up to `maxFailures` failed cases in detail. */
export function formatReport(report: ConformanceReport, maxFailures = 10): string {
  const lines = [
    `${report.backend}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`,
    `  ${formatTolerances(report)}`,
    ...report.notes.map((note) => `  note: ${note}`),
  ];
  const failures = report.cases.filter((c) => c.status === 'failed');
  for (const failure of failures.slice(0, maxFailures)) lines.push(formatCaseResult(failure));
  if (failures.length > maxFailures) lines.push(`... and ${failures.length - maxFailures} more failed cases`);
  return lines.join('\n');
}
