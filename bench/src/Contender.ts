import type { Dtype } from '@mlml/core-spec';
import type { CaseTolerance, CaseValues } from './agreement.js';
import type { BenchData } from './generateData.js';
import type { BenchShape } from './shapes.js';
import type { TimingOptions, TimingStats } from './timeTask.js';

/** What is timed: the loss alone, or the loss and its gradient together. */
export type Mode = 'forward' | 'forward-backward';

/** Both modes, in the order the bench runs them. */
export const MODES: readonly Mode[] = ['forward', 'forward-backward'];

/** An implementation of the loss that the bench checks and times: one of ours, or a peer. */
export interface Contender {
  /** Row name, e.g. `wasm`, `torch`, `tfjs-cpu`. */
  readonly name: string;
  /** Our backend, or a peer to compare with. */
  readonly kind: 'backend' | 'peer';
  /** One line on what it is (versions, threads). */
  readonly description: string;
  /** The tolerance of the agreement check for this case. */
  tolerance(dtype: Dtype, shape: BenchShape): CaseTolerance;
  /** Why this case is not run (no float64, too big for the formulation...), or undefined. */
  skipReason(shape: BenchShape, dtype: Dtype): string | undefined;
  /** Readies one case (uploads, temp files...). */
  prepare(data: BenchData): Promise<PreparedCase>;
  /** Releases everything; Node must be able to exit afterwards. */
  dispose(): Promise<void>;
}

/** A contender bound to one case's data. */
export interface PreparedCase {
  /** Computes the values that the agreement check compares with the reference. */
  values(mode: Mode): Promise<CaseValues>;
  /** Times the mode. */
  time(mode: Mode, options: TimingOptions): Promise<TimingStats>;
  /** Frees what `prepare` took. */
  release(): Promise<void>;
}
