import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { BenchReport, BenchResult } from './BenchReport.js';
import { describeMachine } from './machineInfo.js';
import { GRID_SHAPES } from './shapes.js';

/** The charts the bench draws, by file stem. */
export type ChartName = 'speedup' | 'sweep-classes' | 'sweep-targets';

const MODE_ORDER = ['forward', 'forward-backward'];

/** Row order in legends: our backends, then peers, then read passes, each in order of appearance. */
function implementationOrder(results: readonly BenchResult[]): string[] {
  const rank = { backend: 0, peer: 1, 'read-pass': 2 } as const;
  const seen = new Map<string, number>();
  for (const r of results) if (!seen.has(r.implementation)) seen.set(r.implementation, rank[r.kind]);
  return [...seen.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
}

/** Fixed colours so an implementation looks the same in every chart; a read pass is a lighter shade of its backend's. */
const COLORS: Readonly<Record<string, string>> = {
  wasm: '#4c78a8',
  webgpu: '#f58518',
  'cpu-ts': '#e45756',
  reference: '#b279a2',
  torch: '#54a24b',
  'tfjs-cpu': '#72b7b2',
  'tfjs-wasm': '#eeca3b',
  'read-pass:wasm': '#9ecae9',
  'read-pass:webgpu': '#ffbf79',
  'read-pass:js': '#ff9d98',
};
const SPARE_COLORS = ['#9d755d', '#bab0ac', '#d67195', '#79706e', '#439894'];

/** The colour scale of the implementations in `order`. */
function colorScale(order: readonly string[]): { domain: string[]; range: string[] } {
  let spare = 0;
  const range = order.map((name) => COLORS[name] ?? SPARE_COLORS[spare++ % SPARE_COLORS.length]!);
  return { domain: [...order], range };
}

/** The color channel: one fixed color per implementation, in the report's order. */
function implementationColor(order: readonly string[]) {
  return {
    field: 'implementation',
    type: 'nominal',
    sort: order,
    scale: colorScale(order),
    title: 'implementation',
  } as const;
}

function subtitle(report: BenchReport): string {
  return `${report.date.slice(0, 10)} · ${describeMachine(report.machine)}`;
}

/**
 * Bars of the speed-up over PyTorch (1 thread) per grid shape and implementation, float32, one
 * panel per mode, on a log axis with a dashed line at 1×. Undefined when there is nothing to draw
 * (no PyTorch, or no grid shape in the run).
 */
export function speedupChartSpec(report: BenchReport): TopLevelSpec | undefined {
  const rows = report.results.filter(
    (r) =>
      r.group === 'grid' &&
      r.dtype === 'float32' &&
      r.speedupVsTorch !== null &&
      r.implementation !== 'torch',
  );
  if (rows.length === 0) return undefined;
  const shapeOrder = GRID_SHAPES.map((s) => s.label).filter((label) => rows.some((r) => r.label === label));
  const order = implementationOrder(rows);
  // Bars on a log axis grow from the domain's lower end: fix it at a power of ten below every bar.
  const speedups = rows.map((r) => r.speedupVsTorch!);
  const domain: [number, number] = [
    10 ** Math.floor(Math.log10(Math.min(0.5, ...speedups))),
    10 ** Math.ceil(Math.log10(Math.max(2, ...speedups))),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Speed-up over PyTorch ${report.machine.torch ?? ''} CPU kernel (1 thread), float32, reduction mean`,
      subtitle: `higher is better, log scale, dashed line = PyTorch · ${subtitle(report)}`,
    },
    data: {
      values: rows.map((r) => ({
        shape: r.label,
        implementation: r.implementation,
        mode: r.mode,
        speedup: r.speedupVsTorch,
        median: r.medianMs,
      })),
    },
    facet: { row: { field: 'mode', type: 'nominal', title: null, sort: MODE_ORDER } },
    spec: {
      width: 640,
      height: 220,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: {
              field: 'shape',
              type: 'nominal',
              sort: shapeOrder,
              title: null,
              axis: {
                labelAngle: 0,
                labelLimit: 0,
                // Two lines: the name, then the sizes in parentheses.
                labelExpr: "[split(datum.label, ' (')[0], '(' + split(datum.label, ' (')[1]]",
              },
            },
            xOffset: { field: 'implementation', type: 'nominal', sort: order },
            y: {
              field: 'speedup',
              type: 'quantitative',
              scale: { type: 'log', domain },
              title: 'speed-up over PyTorch (×)',
            },
            y2: { datum: domain[0] },
            color: implementationColor(order),
            tooltip: [
              { field: 'implementation' },
              { field: 'shape' },
              { field: 'speedup', format: '.3~g' },
              { field: 'median', title: 'median (ms)', format: '.3~g' },
            ],
          },
        },
        { mark: { type: 'rule', strokeDash: [4, 4], color: 'black' }, encoding: { y: { datum: 1 } } },
      ],
    },
  };
}

/**
 * Lines of median time against C (`sweep-classes`) or J (`sweep-targets`), log-log, one line per
 * implementation (read passes dashed), one panel per mode. Undefined when the sweep did not run.
 */
export function sweepChartSpec(
  report: BenchReport,
  sweep: 'sweep-classes' | 'sweep-targets',
): TopLevelSpec | undefined {
  const rows = report.results.filter((r) => r.group === sweep && r.dtype === 'float32');
  if (rows.length === 0) return undefined;
  const first = rows[0]!;
  const variable = sweep === 'sweep-classes' ? 'classes' : 'targets';
  const fixed =
    sweep === 'sweep-classes'
      ? `N=${first.batch}, J=${first.targets}`
      : `N=${first.batch}, C=${first.classes}`;
  const order = implementationOrder(rows);
  // A read pass bounds both modes: draw it in both panels.
  const values = rows.flatMap((r) =>
    (r.mode === 'read' ? MODE_ORDER : [r.mode]).map((mode) => ({
      x: r[variable],
      medianMs: r.medianMs,
      implementation: r.implementation,
      line: r.kind === 'read-pass' ? 'read pass (limit)' : 'loss',
      mode,
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Median time against ${variable === 'classes' ? 'C (classes)' : 'J (targets per sample)'}, ${fixed}, float32`,
      subtitle: `lower is better, log-log · ${subtitle(report)}`,
    },
    data: { values },
    facet: { column: { field: 'mode', type: 'nominal', title: null, sort: MODE_ORDER } },
    spec: {
      width: 320,
      height: 260,
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          scale: { type: 'log' },
          title: variable === 'classes' ? 'C (classes)' : 'J (targets per sample)',
        },
        y: { field: 'medianMs', type: 'quantitative', scale: { type: 'log' }, title: 'median time (ms)' },
        color: implementationColor(order),
        strokeDash: {
          field: 'line',
          type: 'nominal',
          title: null,
          legend: {
            symbolType: 'stroke',
            symbolStrokeWidth: 2,
            // Without a colour the dash legend's symbols are drawn without a stroke: invisible.
            // (Vega-Lite passes `encode` to Vega; its TypeScript type does not list it.)
            ...({ encode: { symbols: { update: { stroke: { value: 'black' } } } } } as object),
          },
        },
        tooltip: [
          { field: 'implementation' },
          { field: 'x', title: variable },
          { field: 'medianMs', format: '.3~g' },
        ],
      },
    },
  };
}

/** Every chart the report has data for, by name. */
export function chartSpecs(report: BenchReport): Partial<Record<ChartName, TopLevelSpec>> {
  const specs: Partial<Record<ChartName, TopLevelSpec>> = {};
  const speedup = speedupChartSpec(report);
  if (speedup) specs.speedup = speedup;
  for (const sweep of ['sweep-classes', 'sweep-targets'] as const) {
    const spec = sweepChartSpec(report, sweep);
    if (spec) specs[sweep] = spec;
  }
  return specs;
}

/** Renders a Vega-Lite spec to an SVG string in Node: Vega-Lite -> Vega -> a headless View -> toSVG(). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
