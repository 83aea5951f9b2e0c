// The page browserVsNode.measure.ts times the backends in: globalThis.timeBlock(backend, case id).
import { createBackend, type ILossBackend } from '@mlml/loss';
import { MEASURE_CASES, timeCase } from '../measureCases.ts';

const backends = new Map<string, ILossBackend>();

async function block(name: string, caseId: string): Promise<number> {
  let backend = backends.get(name);
  if (backend === undefined) {
    backend = await createBackend(name);
    backends.set(name, backend);
  }
  return timeCase(backend, MEASURE_CASES.find((c) => c.id === caseId)!);
}

Object.assign(globalThis, { timeBlock: block, measureReady: true });
