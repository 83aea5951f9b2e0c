import { el } from './dom.ts';
import { type NpyTensor, parseNpy } from './npy.ts';
import { type NestedValue, parseJsonField } from './parseJsonField.ts';

/** A form field for a tensor: nested JSON typed in, or a `.npy` file loaded instead. */
export interface TensorField {
  /** The field's element. */
  readonly element: HTMLElement;
  /**
   * The value: the loaded `.npy` tensor, else the parsed text.
   * @throws {JsonFieldError} when the text is not JSON.
   */
  value(): NestedValue | NpyTensor;
  /** Shows a message beside the field (an empty string clears it). */
  showError(message: string): void;
}

/** Creates a tensor field with an id (`input`, `target`), a label, a hint and initial JSON text. */
export function createTensorField(id: string, label: string, hint: string, initial: string): TensorField {
  const text = el('textarea', { id, rows: 4, spellcheck: false, 'aria-describedby': `${id}-error` });
  text.value = initial;
  const fitRows = () => {
    text.rows = Math.min(10, Math.max(3, text.value.split('\n').length));
  };
  text.addEventListener('input', fitRows);
  fitRows();
  const file = el('input', {
    type: 'file',
    accept: '.npy',
    id: `${id}-npy`,
    'aria-label': `${label} from .npy`,
  });
  const loaded = el('span', { class: 'loaded', id: `${id}-loaded` });
  const clear = el('button', { type: 'button', class: 'link', hidden: true }, 'use the text instead');
  const error = el('div', { class: 'field-error', id: `${id}-error`, role: 'alert' });
  let npy: NpyTensor | undefined;
  const showError = (message: string) => {
    error.textContent = message;
    text.classList.toggle('invalid', message !== '');
  };
  const useNpy = (tensor: NpyTensor | undefined, name = '') => {
    npy = tensor;
    text.disabled = tensor !== undefined;
    clear.hidden = tensor === undefined;
    loaded.textContent =
      tensor === undefined
        ? ''
        : `${name}: shape [${tensor.shape.join(', ')}], ${tensor.data.constructor.name}`;
  };
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (chosen === undefined) return;
    try {
      useNpy(parseNpy(new Uint8Array(await chosen.arrayBuffer()), chosen.name), chosen.name);
      showError('');
    } catch (reason) {
      useNpy(undefined);
      showError(reason instanceof Error ? reason.message : String(reason));
    }
    file.value = '';
  });
  clear.addEventListener('click', () => useNpy(undefined));
  const element = el(
    'div',
    { class: 'field' },
    el('label', { for: id }, label, el('span', { class: 'muted small' }, ` ${hint}`)),
    text,
    el(
      'div',
      { class: 'npy-row' },
      el('span', { class: 'muted small' }, 'or load .npy: '),
      file,
      loaded,
      clear,
    ),
    error,
  );
  return { element, value: () => npy ?? parseJsonField(text.value), showError };
}
