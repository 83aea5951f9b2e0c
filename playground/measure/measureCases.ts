import type { ILossBackend } from '@mlml/loss';
import { benchProblem, PRESET_SHAPES } from '../src/benchProblem.ts';
import { timeBlock } from './timeBlock.ts';

/** A timed case: a bench shape and what is called, float32, reduction mean. */
export interface MeasureCase {
  /** Its id in the table. */
  readonly id: string;
  /** The shape (index into PRESET_SHAPES). */
  readonly shapeIndex: number;
  /** What is timed. */
  readonly mode: 'forward' | 'forward+backward';
  /** Calls per block, per backend. */
  readonly calls: Readonly<Record<string, number>>;
}

/** The typical shape's forward on every backend (the figure), and the big batch's forward+backward on the CPU backends. */
export const MEASURE_CASES: readonly MeasureCase[] = [
  { id: 'typical forward', shapeIndex: 1, mode: 'forward', calls: { wasm: 15, 'cpu-ts': 15, webgpu: 3 } },
  { id: 'big-batch fwd+bwd', shapeIndex: 2, mode: 'forward+backward', calls: { wasm: 5, 'cpu-ts': 3 } },
];

const problems = new Map<number, ReturnType<typeof benchProblem>>();

/** Times one block of a case on a backend (the problem is generated once per shape). */
export function timeCase(backend: ILossBackend, measureCase: MeasureCase): Promise<number> {
  let problem = problems.get(measureCase.shapeIndex);
  if (problem === undefined) {
    problem = benchProblem(PRESET_SHAPES[measureCase.shapeIndex]!);
    problems.set(measureCase.shapeIndex, problem);
  }
  const { input, target } = problem;
  const calls = measureCase.calls[backend.name] ?? 3;
  return timeBlock(
    () =>
      measureCase.mode === 'forward'
        ? backend.forward(input, target)
        : backend.forwardBackward(input, target),
    calls,
  );
}
