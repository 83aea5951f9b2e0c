import { drawBarChart } from './barChart.ts';
import { type BenchShape, checkBenchShape, PRESET_SHAPES } from './benchProblem.ts';
import { el, formatMs } from './dom.ts';
import { errorText } from './errorField.ts';
import { BIG_CALL_SHAPE, checkMainThread } from './mainThreadCheck.ts';
import type { BackendStatus } from './probeBackends.ts';
import { type BenchRow, runQuickBench } from './quickBench.ts';

function numberInput(id: string, value: number, label: string): HTMLInputElement {
  return el('input', {
    id,
    type: 'number',
    min: 0,
    step: 1,
    value,
    'aria-label': label,
    class: 'small-number',
  });
}

function rowsTable(rows: readonly BenchRow[]): HTMLTableElement {
  const fastest = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.shape}|${r.mode}`;
    fastest.set(key, Math.min(fastest.get(key) ?? Number.POSITIVE_INFINITY, r.medianMs));
  }
  return el(
    'table',
    { id: 'compare-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['shape', 'mode', 'backend', 'median per call', 'calls', 'vs fastest'].map((h) => el('th', {}, h)),
      ),
    ),
    el(
      'tbody',
      {},
      ...rows.map((r) => {
        const ratio = r.medianMs / fastest.get(`${r.shape}|${r.mode}`)!;
        return el(
          'tr',
          { 'data-backend': r.backend, class: ratio === 1 ? 'fastest' : '' },
          el('td', {}, r.shape),
          el('td', {}, r.mode),
          el('td', {}, r.backend),
          el('td', { class: 'num' }, formatMs(r.medianMs)),
          el('td', { class: 'num' }, String(r.calls)),
          el(
            'td',
            { class: 'num' },
            ratio === 1 ? 'fastest' : `${ratio < 100 ? ratio.toPrecision(3) : Math.round(ratio)}×`,
          ),
        );
      }),
    ),
  );
}

/** The Compare tab: the quick bench on every available backend, with a chart, and the main-thread check. */
export function renderCompareTab(container: HTMLElement, statuses: readonly BackendStatus[]): void {
  const backends = statuses.flatMap((s) => (s.backend === undefined ? [] : [s.backend]));
  const presets = PRESET_SHAPES.map((shape, i) => {
    const box = el('input', { type: 'checkbox', id: `shape-${i}`, checked: i < 2 });
    return { shape, box, label: el('label', { class: 'check' }, box, ` ${shape.label}`) };
  });
  const custom = el('input', { type: 'checkbox', id: 'shape-custom' });
  const [n, c, j] = [
    numberInput('custom-n', 256, 'N'),
    numberInput('custom-c', 4096, 'C'),
    numberInput('custom-j', 16, 'J'),
  ];
  const run = el('button', { id: 'compare-run', type: 'button', class: 'primary' }, 'Run the quick bench');
  const status = el('p', { id: 'compare-status', class: 'muted', role: 'status' });
  const output = el('div', { id: 'compare-output' });
  const check = el('button', { id: 'main-thread-run', type: 'button' }, 'Check the main thread');
  const checkOutput = el('div', { id: 'main-thread-output' });

  run.addEventListener('click', async () => {
    const shapes: BenchShape[] = presets.filter((p) => p.box.checked).map((p) => p.shape);
    if (custom.checked) {
      const shape = {
        label: `custom ${n.value}×${c.value} J=${j.value}`,
        batch: Number(n.value),
        classes: Number(c.value),
        targets: Number(j.value),
      };
      try {
        checkBenchShape(shape);
        shapes.push(shape);
      } catch (error) {
        status.textContent = errorText(error);
        return;
      }
    }
    if (shapes.length === 0 || backends.length === 0) {
      status.textContent = backends.length === 0 ? 'no backend is available here' : 'choose a shape';
      return;
    }
    run.disabled = true;
    output.dataset.state = 'running';
    const rows: BenchRow[] = [];
    try {
      await runQuickBench(backends, shapes, (row) => {
        rows.push(row);
        status.textContent = `timed ${row.backend} ${row.mode} at ${row.shape}: ${formatMs(row.medianMs)}`;
        output.replaceChildren(drawBarChart(rows), rowsTable(rows));
      });
      status.textContent = `done: ${rows.length} timings (float32, reduction mean; medians; shorter bars are faster)`;
      output.dataset.state = 'done';
    } catch (error) {
      status.textContent = `the bench stopped: ${errorText(error)}`;
      output.dataset.state = 'error';
    } finally {
      run.disabled = false;
    }
  });

  check.addEventListener('click', async () => {
    check.disabled = true;
    checkOutput.dataset.state = 'running';
    checkOutput.replaceChildren(el('p', { class: 'muted' }, 'running…'));
    const body = el('tbody', {});
    try {
      for (const backend of backends) {
        const r = await checkMainThread(backend);
        body.append(
          el(
            'tr',
            {
              'data-backend': r.backend,
              'data-longest-task-ms': r.longestTaskMs.toFixed(1),
              'data-call-ms': r.callMs.toFixed(1),
              'data-longest-gap-ms': r.longestGapMs.toFixed(1),
            },
            el('td', {}, r.backend),
            el('td', { class: 'num' }, formatMs(r.callMs)),
            el(
              'td',
              { class: 'num' },
              r.longTasks === 0 ? 'none over 50 ms' : `${formatMs(r.longestTaskMs)} (${r.longTasks})`,
            ),
            el('td', { class: 'num' }, formatMs(r.longestGapMs)),
          ),
        );
      }
      checkOutput.replaceChildren(
        el(
          'table',
          { id: 'main-thread-table' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...['backend', 'call', 'longest main-thread task', 'longest timer gap'].map((h) =>
                el('th', {}, h),
              ),
            ),
          ),
          body,
        ),
      );
      checkOutput.dataset.state = 'done';
    } catch (error) {
      checkOutput.replaceChildren(el('p', { class: 'field-error' }, errorText(error)));
      checkOutput.dataset.state = 'error';
    } finally {
      check.disabled = false;
    }
  });

  container.replaceChildren(
    el('h2', {}, 'Which backend is fastest here?'),
    el(
      'p',
      { class: 'muted' },
      `The quick bench runs in this page on ${backends.map((b) => b.name).join(', ') || 'no backend'}: float32, reduction mean, forward and forward+backward, the median of repeated calls.`,
    ),
    el(
      'div',
      { class: 'shapes' },
      ...presets.map((p) => p.label),
      el('label', { class: 'check' }, custom, ' custom N ', n, ' C ', c, ' J ', j),
    ),
    el('div', { class: 'options' }, run),
    status,
    output,
    el('h2', {}, 'Does the page stay responsive?'),
    el(
      'p',
      { class: 'muted' },
      `One ${BIG_CALL_SHAPE.label} forward+backward per backend, while the page watches its main thread (long tasks, and the gaps of a 4 ms timer).`,
    ),
    el('div', { class: 'options' }, check),
    checkOutput,
  );
}
