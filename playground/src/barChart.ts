import { formatMs, svg } from './dom.ts';
import type { BenchRow } from './quickBench.ts';

const COLORS: Readonly<Record<string, string>> = { wasm: '#7c3aed', webgpu: '#0d9488', 'cpu-ts': '#d97706' };
const WIDTH = 760;
const LABEL = 190;
const BAR = 14;
const GAP = 3;
const GROUP_GAP = 14;

/** A backend's colour in the chart. */
export function backendColor(name: string): string {
  return COLORS[name] ?? '#64748b';
}

/**
 * Draws the quick bench as an SVG bar chart: a group per shape and mode, a bar per backend, time
 * per call on a log scale (shorter is faster), each bar labelled with its median.
 */
export function drawBarChart(rows: readonly BenchRow[]): SVGElement {
  const groups = [...new Set(rows.map((r) => `${r.shape} · ${r.mode}`))];
  const backends = [...new Set(rows.map((r) => r.backend))];
  const times = rows.map((r) => r.medianMs).filter((t) => t > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...times)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...times) * 1.5));
  const plot = WIDTH - LABEL - 80;
  const x = (ms: number) => LABEL + (plot * Math.log10(Math.max(ms, lo) / lo)) / Math.log10(hi / lo);
  const groupHeight = backends.length * (BAR + GAP) + GROUP_GAP;
  const top = 28;
  const height = top + groups.length * groupHeight + 24;
  const chart = svg('svg', {
    id: 'compare-chart',
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: WIDTH,
    height,
    role: 'img',
    'aria-label': 'time per call by backend, log scale',
    class: 'chart',
  });
  backends.forEach((name, i) => {
    chart.append(
      svg('rect', { x: LABEL + i * 110, y: 6, width: 12, height: 12, fill: backendColor(name), rx: 2 }),
      svg('text', { x: LABEL + i * 110 + 18, y: 16, class: 'chart-legend' }, name),
    );
  });
  for (let tick = lo; tick <= hi * 1.0001; tick *= 10) {
    chart.append(
      svg('line', { x1: x(tick), x2: x(tick), y1: top - 4, y2: height - 20, class: 'chart-grid' }),
      svg(
        'text',
        { x: x(tick), y: height - 6, 'text-anchor': 'middle', class: 'chart-tick' },
        formatMs(tick),
      ),
    );
  }
  groups.forEach((group, g) => {
    const y0 = top + g * groupHeight;
    const [shape, mode] = group.split(' · ');
    const middle = y0 + (backends.length * (BAR + GAP)) / 2;
    chart.append(
      svg(
        'text',
        { x: LABEL - 8, y: middle - 2, 'text-anchor': 'end', class: 'chart-label' },
        shape ?? group,
      ),
      svg('text', { x: LABEL - 8, y: middle + 12, 'text-anchor': 'end', class: 'chart-mode' }, mode ?? ''),
    );
    backends.forEach((name, b) => {
      const row = rows.find((r) => `${r.shape} · ${r.mode}` === group && r.backend === name);
      if (row === undefined) return;
      const y = y0 + b * (BAR + GAP);
      chart.append(
        svg(
          'rect',
          {
            x: LABEL,
            y,
            width: Math.max(1, x(row.medianMs) - LABEL),
            height: BAR,
            fill: backendColor(name),
            rx: 2,
          },
          svg('title', {}, `${name}, ${group}: ${formatMs(row.medianMs)} per call (${row.calls} calls)`),
        ),
        svg('text', { x: x(row.medianMs) + 4, y: y + BAR - 3, class: 'chart-value' }, formatMs(row.medianMs)),
      );
    });
  });
  return chart;
}
