import type { Dtype, InputLike, Reduction, TargetLike } from '@mlml/loss';
import { el } from './dom.ts';
import { errorText, type FieldName, fieldOfError } from './errorField.ts';
import { JsonFieldError } from './parseJsonField.ts';
import type { BackendStatus } from './probeBackends.ts';
import { renderResult } from './resultView.ts';
import { runLoss } from './runLoss.ts';
import { createTensorField } from './tensorField.ts';

function select(id: string, values: readonly string[]): HTMLSelectElement {
  return el('select', { id }, ...values.map((v) => el('option', { value: v }, v)));
}

/** Renders the Compute tab: input, target, reduction, dtype and backend; the result below. */
export function renderComputeTab(container: HTMLElement, statuses: readonly BackendStatus[]): void {
  const input = createTensorField(
    'input',
    'Input x',
    '[N, C] scores, [C] or a number',
    '[[0.1, 0.2, 0.4, 0.8]]',
  );
  const target = createTensorField(
    'target',
    'Target y',
    'class indices; a row ends at its first -1',
    '[[3, 0, -1, 1]]',
  );
  const reduction = select('reduction', ['mean', 'sum', 'none']);
  const reductionError = el('div', { class: 'field-error', id: 'reduction-error', role: 'alert' });
  const dtype = select('dtype', ['float32', 'float64']);
  const available = statuses.filter((s) => s.backend !== undefined);
  const backend = select('backend', ['auto', ...available.map((s) => s.name)]);
  const run = el('button', { id: 'compute-button', type: 'submit', class: 'primary' }, 'Compute');
  const callError = el('div', { class: 'field-error', id: 'call-error', role: 'alert' });
  const result = el('div', { id: 'result', 'aria-live': 'polite' });
  const form = el(
    'form',
    { class: 'compute-form' },
    input.element,
    target.element,
    el(
      'div',
      { class: 'options' },
      el('label', {}, 'reduction ', reduction),
      el('label', {}, 'dtype ', dtype),
      el('label', {}, 'backend ', backend),
      run,
    ),
    reductionError,
    callError,
  );
  const errors: Record<FieldName, (message: string) => void> = {
    input: input.showError,
    target: target.showError,
    reduction: (m) => {
      reductionError.textContent = m;
    },
    call: (m) => {
      callError.textContent = m;
    },
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const show of Object.values(errors)) show('');
    run.disabled = true;
    result.dataset.state = 'running';
    try {
      let x: InputLike;
      let y: TargetLike;
      try {
        x = input.value() as InputLike;
      } catch (error) {
        if (error instanceof JsonFieldError) errors.input(error.message);
        throw error;
      }
      try {
        y = target.value() as TargetLike;
      } catch (error) {
        if (error instanceof JsonFieldError) errors.target(error.message);
        throw error;
      }
      const chosen = available.find((s) => s.name === backend.value)?.backend ?? 'auto';
      renderResult(
        result,
        await runLoss({
          input: x,
          target: y,
          reduction: reduction.value as Reduction,
          dtype: dtype.value as Dtype,
          backend: chosen,
        }),
      );
      result.dataset.state = 'done';
    } catch (error) {
      if (!(error instanceof JsonFieldError)) errors[fieldOfError(error)](errorText(error));
      result.replaceChildren();
      result.dataset.state = 'error';
    } finally {
      run.disabled = false;
    }
  });
  container.replaceChildren(form, result);
}
