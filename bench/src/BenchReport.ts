import type { Dtype } from '@mlml/core-spec';
import type { Mode } from './Contender.js';
import type { ShapeGroup } from './shapes.js';

/** Identifies the JSON files the bench writes. */
export const BENCH_REPORT_FORMAT = 'mlml-bench-v1';

/** The machine a report was measured on. */
export interface MachineInfo {
  /** `os.cpus()[0].model`. */
  readonly cpuModel: string;
  /** Logical cores. */
  readonly cores: number;
  /** Total memory, GiB. */
  readonly memoryGiB: number;
  /** e.g. `linux x64 6.1.0`. */
  readonly os: string;
  /** Node version, e.g. `v20.20.2`. */
  readonly node: string;
  /** V8 version. */
  readonly v8: string;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine adds noise). */
  readonly loadAverage: readonly number[];
  /** PyTorch version, or null when it was not found. */
  readonly torch: string | null;
  /** `torch.get_num_threads()` by default, or null. */
  readonly torchDefaultThreads: number | null;
  /** TF.js (tfjs-core) version, or null when not loaded. */
  readonly tfjs: string | null;
  /** `VK_ICD_FILENAMES`: the Vulkan driver WebGPU used in Node (SwiftShader is a CPU), or null. */
  readonly vulkanIcd: string | null;
}

/** Whether an implementation took part, and if not why. */
export interface ImplementationStatus {
  /** Row name. */
  readonly name: string;
  /** Our backend, a peer, or a read pass. */
  readonly kind: 'backend' | 'peer' | 'read-pass';
  /** Whether it initialised. */
  readonly available: boolean;
  /** What it is, when available. */
  readonly description?: string;
  /** Why not, when unavailable. */
  readonly reason?: string;
}

/** One timed row: an implementation on one shape, dtype and mode. */
export interface BenchResult {
  /** Shape id. */
  readonly shape: string;
  /** Shape label. */
  readonly label: string;
  /** Grid or sweep. */
  readonly group: ShapeGroup;
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** J. */
  readonly targets: number;
  /** Input precision. */
  readonly dtype: Dtype;
  /** What was timed (`read` for a read pass). */
  readonly mode: Mode | 'read';
  /** Row name (`wasm`, `torch`, `tfjs-cpu`, `read-pass:wasm`...). */
  readonly implementation: string;
  /** Our backend, a peer, or a read pass. */
  readonly kind: 'backend' | 'peer' | 'read-pass';
  /** Median latency, ms: the median of the rounds' medians (see `roundMediansMs`). */
  readonly medianMs: number;
  /** Mean latency, ms. */
  readonly meanMs: number;
  /** Fastest call, ms (for a task timed in batches of calls, the fastest batch's mean). */
  readonly minMs: number;
  /** Relative margin of error of the mean (95%), percent: the largest of the rounds'. */
  readonly rme: number;
  /** Measured calls, all rounds together. */
  readonly samples: number;
  /** Each round's median, ms, in the order the rounds ran. */
  readonly roundMediansMs: readonly number[];
  /** Input elements (N·C) per second at the median. */
  readonly elementsPerSecond: number;
  /** PyTorch's (1 thread) median over this one, same case and mode; null without PyTorch. */
  readonly speedupVsTorch: number | null;
  /** The read pass that bounds this backend (backends only). */
  readonly readPass: string | null;
  /** That read pass's median over this one: 1 means as fast as only reading the bytes. */
  readonly readPassFraction: number | null;
  /** Largest error relative to scale seen in the agreement check (output, gradient). */
  readonly agreement: { readonly output: number; readonly gradInput?: number } | null;
}

/** A case an implementation did not run, and why. */
export interface SkippedCase {
  /** Shape id. */
  readonly shape: string;
  /** Input precision. */
  readonly dtype: Dtype;
  /** Row name. */
  readonly implementation: string;
  /** Why. */
  readonly reason: string;
}

/** The settings a report was measured with. */
export interface BenchSettings {
  /** `--quick`. */
  readonly quick: boolean;
  /** Time budget per task, ms (all rounds together). */
  readonly timeMs: number;
  /** Minimum measured calls per task. */
  readonly minIterations: number;
  /** Rounds per case (each task's budget split among them); absent in reports from before rounds: 1. */
  readonly rounds?: number;
  /** Data seed. */
  readonly seed: number;
  /** Shape ids run. */
  readonly shapes: readonly string[];
  /** Largest N·J·C the TF.js composition was run on. */
  readonly tfjsMaxBroadcast: number;
  /** The reduction every call uses. */
  readonly reduction: 'mean';
}

/** Everything one bench run produced: written as JSON (`mlml-bench-v1`). */
export interface BenchReport {
  /** Always {@link BENCH_REPORT_FORMAT}. */
  readonly format: typeof BENCH_REPORT_FORMAT;
  /** ISO date and time the run started. */
  readonly date: string;
  /** Wall time of the run, seconds. */
  readonly durationSeconds: number;
  /** Where it ran. */
  readonly machine: MachineInfo;
  /** How it ran. */
  readonly settings: BenchSettings;
  /** Every backend, peer and read pass considered. */
  readonly implementations: readonly ImplementationStatus[];
  /** Every timed row. */
  readonly results: readonly BenchResult[];
  /** Every case not run, with the reason. */
  readonly skipped: readonly SkippedCase[];
}
