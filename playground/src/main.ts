// The playground: which backends this browser has, the loss of typed-in or loaded tensors, and a
// quick bench of the backends on this machine.
import { renderBackendsPanel } from './backendsPanel.ts';
import { renderCompareTab } from './compareTab.ts';
import { renderComputeTab } from './computeTab.ts';
import { probeBackends } from './probeBackends.ts';
import { wireTabs } from './tabs.ts';

const byId = (id: string) => document.getElementById(id)!;

byId('backends').textContent = 'looking for backends…';
const statuses = await probeBackends();
renderBackendsPanel(byId('backends'), statuses);
renderComputeTab(byId('compute'), statuses);
renderCompareTab(byId('compare'), statuses);
wireTabs([byId('tab-compute') as HTMLButtonElement, byId('tab-compare') as HTMLButtonElement]);
document.body.dataset.ready = '1';
