import type { BenchReport, BenchResult } from './BenchReport.js';
import type { ChartName } from './charts.js';
import { alignColumns, formatDuration, formatPercent, formatRatio } from './formatTable.js';
import { describeMachine } from './machineInfo.js';
import { GRID_SHAPES, TIE_SHAPES } from './shapes.js';

const SUMMARY_HEADER = ['shape', 'implementation', 'forward', 'vs torch', 'vs read', 'fwd+bwd', 'vs torch'];

/**
 * The float32 grid and tie-heavy cases as table rows: per shape and implementation (read passes
 * aside), the forward median, its speed-up over PyTorch and the read pass's median over it, the
 * forward+backward median and its speed-up.
 */
export function gridSummaryRows(report: BenchReport): string[][] {
  const rows: string[][] = [];
  const grid = report.results.filter(
    (r) => (r.group === 'grid' || r.group === 'ties') && r.dtype === 'float32',
  );
  for (const shape of [...GRID_SHAPES, ...TIE_SHAPES]) {
    const ofShape = grid.filter((r) => r.shape === shape.id && r.kind !== 'read-pass');
    const names = [...new Set(ofShape.map((r) => r.implementation))];
    for (const name of names) {
      const find = (mode: BenchResult['mode']) =>
        ofShape.find((r) => r.implementation === name && r.mode === mode);
      const forward = find('forward');
      const both = find('forward-backward');
      rows.push([
        shape.label,
        name,
        forward ? formatDuration(forward.medianMs) : '-',
        formatRatio(forward?.speedupVsTorch ?? null),
        formatPercent(forward?.readPassFraction ?? null),
        both ? formatDuration(both.medianMs) : '-',
        formatRatio(both?.speedupVsTorch ?? null),
      ]);
    }
  }
  return rows;
}

/**
 * A markdown section for the README: the date and machine, the table of {@link gridSummaryRows}
 * and links to the charts (`charts`: chart name -> path as the README sees it).
 */
export function renderMarkdownSnippet(
  report: BenchReport,
  charts: Partial<Record<ChartName, string>> = {},
): string {
  const rows = gridSummaryRows(report);
  const header = SUMMARY_HEADER;
  const table = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const onSwiftShader =
    report.results.some((r) => r.implementation === 'webgpu') &&
    /swiftshader/i.test(report.machine.vulkanIcd ?? '');
  const unavailable = report.implementations
    .filter((i) => !i.available)
    .map((i) => `- not in this run: **${i.name}**: ${i.reason ?? 'unavailable'}`);
  const chartLines = (Object.entries(charts) as [ChartName, string][]).map(
    ([name, path]) => `![${name}](${path})`,
  );
  return [
    `### Benchmark (${report.date.slice(0, 10)})`,
    '',
    `Measured ${report.date.replace('T', ' ').slice(0, 16)} UTC on ${describeMachine(report.machine)}; ` +
      timingSentence(report.settings) +
      `reduction mean, float32. "vs torch": PyTorch's median over ours (1 thread); "vs read": a pass that only ` +
      `reads the same bytes on one thread, over ours (100% = as fast as one thread reading the input; a backend ` +
      `on several threads can pass 100%). Produced by \`pnpm bench\`.`,
    '',
    rows.length > 0 ? table : '_No grid shape in this run._',
    '',
    ...(onSwiftShader
      ? [
          'webgpu ran on SwiftShader, a CPU implementation of Vulkan (no GPU on this machine): its figures are CPU figures.',
          '',
        ]
      : []),
    ...(unavailable.length > 0 ? [...unavailable, ''] : []),
    ...chartLines.flatMap((line) => [line, '']),
  ].join('\n');
}

/** How the medians were taken (reports from before rounds existed have none: one round). */
function timingSentence(settings: BenchReport['settings']): string {
  const rounds = settings.rounds ?? 1;
  const limits = `at least ${settings.minIterations} calls; calls of several seconds fewer, down to 1`;
  if (rounds === 1) return `median of the calls made in ${settings.timeMs} ms per task (${limits}), `;
  return (
    `${settings.timeMs} ms per task in ${rounds} rounds, every task of a case in turn, and the median of the ` +
    `rounds' medians (${limits}), `
  );
}

/** The same table as plain aligned text (for the console). */
export function renderPlainSummary(report: BenchReport): string {
  return alignColumns(SUMMARY_HEADER, gridSummaryRows(report));
}
