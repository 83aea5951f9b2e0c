import { el } from './dom.ts';
import { type BackendStatus, describeCapabilities } from './probeBackends.ts';

/** Renders which backends this browser has, and why the others are not available. */
export function renderBackendsPanel(container: HTMLElement, statuses: readonly BackendStatus[]): void {
  const isolated = globalThis.crossOriginIsolated === true;
  container.replaceChildren(
    el('h2', {}, 'Backends in this browser'),
    el(
      'ul',
      { class: 'backend-list' },
      ...statuses.map((s) =>
        el(
          'li',
          { class: s.backend ? 'available' : 'unavailable', 'data-backend': s.name },
          el('span', { class: 'badge' }, s.backend ? 'available' : 'not available'),
          el('strong', {}, s.name),
          el('span', { class: 'muted' }, ` priority ${s.priority}`),
          el('div', { class: 'detail' }, s.backend ? describeCapabilities(s.backend) : (s.reason ?? '')),
        ),
      ),
    ),
    el(
      'p',
      { class: 'muted small' },
      isolated
        ? 'This page is cross-origin isolated (COOP/COEP): wasm can share large problems with worker threads.'
        : 'This page is not cross-origin isolated: wasm runs on one thread.',
    ),
  );
}
