import type { BenchResult, SkippedCase } from './BenchReport.js';

/** A latency in a readable unit: `812 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1e-3) return `${(ms * 1e6).toPrecision(3)} ns`;
  if (ms < 1) return `${(ms * 1e3).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** A rate with an SI prefix: `1.23 G/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  const prefixes = ['', 'k', 'M', 'G', 'T'];
  let value = perSecond;
  let index = 0;
  while (value >= 1000 && index < prefixes.length - 1) {
    value /= 1000;
    index++;
  }
  return `${value.toPrecision(3)} ${prefixes[index]}/s`;
}

/** A ratio as `12.3×` (`-` when unknown). */
export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '-';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio.toPrecision(3)}×`;
}

/** A fraction as a percentage (`-` when unknown). */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toPrecision(fraction >= 1 ? 4 : 2)}%`;
}

/** Lays out rows as aligned columns: text columns to the left, the rest to the right. */
export function alignColumns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  leftColumns = 2,
): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The console table of one case (shape and dtype): a row per implementation and mode with the
 * median, elements/s, speed-up over PyTorch, the read pass's median over it, rme, samples and,
 * with several rounds, each round's median; skipped implementations listed below with their
 * reasons.
 */
export function formatCaseTable(
  title: string,
  results: readonly BenchResult[],
  skipped: readonly SkippedCase[],
): string {
  const byRound = results.some((r) => r.roundMediansMs.length > 1);
  const header = ['implementation', 'mode', 'median', 'elements/s', 'vs torch', 'vs read', '±rme', 'n'];
  if (byRound) header.push('rounds');
  const rows = results.map((r) => [
    r.implementation,
    r.mode,
    formatDuration(r.medianMs),
    formatRate(r.elementsPerSecond),
    formatRatio(r.speedupVsTorch),
    r.readPassFraction === null ? '-' : `${formatPercent(r.readPassFraction)} (${r.readPass})`,
    Number.isFinite(r.rme) ? `${r.rme.toFixed(1)}%` : '-',
    String(r.samples),
    ...(byRound ? [r.roundMediansMs.map(formatDuration).join(' ')] : []),
  ]);
  const notes = skipped.map((s) => `  skipped ${s.implementation}: ${s.reason}`);
  return [`\n${title}`, alignColumns(header, rows), ...notes].join('\n');
}
