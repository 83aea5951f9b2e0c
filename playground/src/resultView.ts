import { toNested } from '@mlml/loss';
import { el, formatMs } from './dom.ts';
import { drawHeatmap } from './heatmap.ts';
import type { LossResult } from './runLoss.ts';

/** Gradients of at most this many values are also printed as numbers. */
const SHOWN_GRADIENT_VALUES = 64;

/** How many per-sample losses are listed (the rest are summarised). */
const LISTED_SAMPLES = 32;

function formatValue(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(7).replace(/\.?0+$/, '') : String(value);
}

/** The matrix shape `[rows, cols]` a gradient is drawn as (a scalar or vector is one row). */
function asMatrix(shape: readonly number[]): [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  return [1, shape[0] ?? 1];
}

/** Renders a result: the loss, which backend ran and how long it took, per-sample losses, the gradient. */
export function renderResult(container: HTMLElement, result: LossResult): void {
  const { output, gradInput, perSample } = result;
  const loss =
    output.data.length === 1
      ? formatValue(output.data[0]!)
      : `[${Array.from(output.data.subarray(0, LISTED_SAMPLES), formatValue).join(', ')}${output.data.length > LISTED_SAMPLES ? ', …' : ''}]`;
  const canvas = el('canvas', { id: 'gradient', 'aria-label': 'gradient heatmap' });
  const gradientPanel = el('section', {});
  const [rows, cols] = asMatrix(gradInput.shape);
  const listed = Array.from(perSample.subarray(0, LISTED_SAMPLES));
  const maxLoss = Math.max(...listed.filter(Number.isFinite), 0);
  container.replaceChildren(
    el(
      'div',
      { class: 'summary' },
      el(
        'div',
        { class: 'loss' },
        el('span', { class: 'muted' }, 'loss '),
        el('output', { id: 'loss' }, loss),
      ),
      el(
        'div',
        { id: 'ran', 'data-backend': result.backend },
        'computed by ',
        el('strong', {}, result.backend),
        ` in ${formatMs(result.ms)} (loss and gradient, one call)`,
      ),
    ),
    el(
      'div',
      { class: 'panels' },
      el(
        'section',
        {},
        el('h3', {}, `Per-sample losses (${perSample.length})`),
        el(
          'ol',
          { id: 'per-sample', start: 0 },
          ...listed.map((v) =>
            el(
              'li',
              {},
              el('span', {
                class: 'bar',
                style: `width: calc((100% - 40px) * ${maxLoss > 0 ? Math.max(0, v) / maxLoss : 0})`,
              }),
              el('span', { class: 'value' }, formatValue(v)),
            ),
          ),
        ),
        perSample.length > LISTED_SAMPLES
          ? el('p', { class: 'muted small' }, `… and ${perSample.length - LISTED_SAMPLES} more`)
          : '',
      ),
      gradientPanel,
    ),
  );
  gradientPanel.append(
    el('h3', {}, `Gradient w.r.t. the input [${gradInput.shape.join(', ')}]`),
    canvas,
    gradInput.data.length <= SHOWN_GRADIENT_VALUES
      ? el(
          'p',
          { class: 'gradient-values', id: 'gradient-values' },
          JSON.stringify(toNested(gradInput), (_key, v: unknown) =>
            typeof v === 'number' ? Number(v.toPrecision(7)) : v,
          ),
        )
      : '',
  );
  const { maxAbs, block } = drawHeatmap(canvas, gradInput.data, rows, cols);
  gradientPanel.append(
    el(
      'p',
      { class: 'legend small' },
      el('span', { class: 'swatch negative' }),
      ` −${formatValue(maxAbs)}  `,
      el('span', { class: 'swatch zero' }),
      ' 0  ',
      el('span', { class: 'swatch positive' }),
      ` +${formatValue(maxAbs)} (square-root scale)`,
      block[0] > 1 || block[1] > 1 ? ` — each pixel: the largest |value| of ${block[0]}×${block[1]}` : '',
    ),
  );
}
