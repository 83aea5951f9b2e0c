// The page browserVsNode.measure.ts times the backends in: globalThis.timeBlock(name, calls).
import { createBackend, type ILossBackend } from '@mlml/loss';
import { benchProblem, PRESET_SHAPES } from '../../src/benchProblem.ts';
import { timeBlock } from '../timeBlock.ts';

const typical = benchProblem(PRESET_SHAPES[1]!);
const backends = new Map<string, ILossBackend>();

async function block(name: string, calls: number): Promise<number> {
  let backend = backends.get(name);
  if (backend === undefined) {
    backend = await createBackend(name);
    backends.set(name, backend);
  }
  const chosen = backend;
  return timeBlock(() => chosen.forward(typical.input, typical.target), calls);
}

Object.assign(globalThis, { timeBlock: block, measureReady: true });
