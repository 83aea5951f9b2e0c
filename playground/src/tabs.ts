/** Wires `role="tab"` buttons to the panels they control: one panel shown at a time. */
export function wireTabs(tabs: readonly HTMLButtonElement[]): void {
  const show = (chosen: HTMLButtonElement) => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute('aria-selected', String(selected));
      document.getElementById(tab.getAttribute('aria-controls')!)!.hidden = !selected;
    }
  };
  for (const tab of tabs) tab.addEventListener('click', () => show(tab));
}
