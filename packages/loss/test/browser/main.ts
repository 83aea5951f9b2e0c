// Runs in headless Chromium (see ../browser.test.ts): every built-in backend, bundled by Vite.
import { createBackend, listBackends, multilabelMarginLoss } from '@mlml/loss';

const results: Record<string, string | number> = {};
for (const { name } of listBackends()) {
  try {
    const backend = await createBackend(name);
    const loss = await multilabelMarginLoss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]], { backend });
    results[name] = loss.data[0] ?? Number.NaN;
    await backend.dispose();
  } catch (error) {
    results[name] = `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}
const out = document.getElementById('out')!;
out.textContent = JSON.stringify(results);
out.dataset.done = '1';
