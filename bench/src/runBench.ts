import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendUnavailableError,
  createReferenceBackend,
  type Dtype,
  type ILossBackend,
} from '@mlml/core-spec';
import { createBackend, listBackends } from '@mlml/loss';
import { useSwiftShaderIfNoDriverChosen } from '@mlml/loss/cli';
import { createWasmBackend } from '@mlml/wasm';
import { type CaseValues, checkAgreement } from './agreement.js';
import {
  BENCH_REPORT_FORMAT,
  type BenchReport,
  type BenchResult,
  type ImplementationStatus,
  type SkippedCase,
} from './BenchReport.js';
import { backendContender, OUT_SUFFIX, WASM_SINGLE_THREAD } from './backendContender.js';
import { type Contender, MODES, type Mode, type PreparedCase } from './Contender.js';
import { formatCaseTable, formatDuration } from './formatTable.js';
import { type BenchData, DEFAULT_SEED, generateData } from './generateData.js';
import { collectMachineInfo } from './machineInfo.js';
import {
  loadReadPass,
  type ReadPass,
  type ReadPassDeclaration,
  readPassFor,
  readPassKey,
  readPassRowName,
} from './readPass.js';
import { defaultResultsDir } from './resultsLocation.js';
import { settle } from './settle.js';
import { type BenchShape, defaultShapeSelectors, FLOAT64_SHAPE_IDS, selectShapes } from './shapes.js';
import { createTfjsContenders, disposeTfjs, loadTfjs, type TfjsPeer } from './tfjsContender.js';
import { type TimingStats, timeTask, timingFor } from './timeTask.js';
import { torchContender } from './torchContender.js';
import { DEFAULT_PYTHON, TorchRunner } from './torchRunner.js';
import { isWebGpuBackend, WEBGPU_RESIDENT, webgpuResidentContender } from './webgpuResidentContender.js';
import { writeOutputs } from './writeOutputs.js';

/** The peers the bench can compare with. */
export const PEER_NAMES = ['torch', 'tfjs-cpu', 'tfjs-wasm'] as const;

/** A peer name. */
export type PeerName = (typeof PEER_NAMES)[number];

/** The name under which `--backends` selects the reference loops of @mlml/core-spec (never by default). */
export const REFERENCE_BACKEND = 'reference';

/** Options of {@link runBench}; every one has a default. */
export interface BenchOptions {
  /** Fewer shapes and a shorter budget: the whole run takes under a minute. @default false */
  readonly quick?: boolean;
  /** Backends to run; default: every backend registered by @mlml/loss. `reference` adds the reference loops. */
  readonly backends?: readonly string[];
  /** Shape selectors (see `SHAPE_SELECTORS`); default: all (quick: small, typical and short sweeps). */
  readonly shapes?: readonly string[];
  /** Peers to compare with. @default all of {@link PEER_NAMES} */
  readonly peers?: readonly PeerName[];
  /** Time budget per task, ms. @default 400 (quick: 60) */
  readonly timeMs?: number;
  /** Minimum measured calls per task (spread over the rounds, at least 2 per round). @default 5 (quick: 3) */
  readonly minIterations?: number;
  /**
   * Rounds per case: the case's timed tasks (every implementation and mode, then the read passes)
   * run this many times in turn, each round with `timeMs / rounds`; a row's median is the median
   * of its rounds' medians. On a shared machine a slow spell then falls on every implementation
   * alike instead of on whichever task happened to run during it.
   * @default 3 (quick: 1)
   */
  readonly rounds?: number;
  /** Data seed. */
  readonly seed?: number;
  /**
   * Largest N·J·C on which the TF.js composition runs (it materialises `[N, J, C]` tensors and
   * takes seconds per call beyond a few million). @default 2 ** 23 (quick: 2 ** 18)
   */
  readonly tfjsMaxBroadcast?: number;
  /** The Python with torch. @default '/usr/bin/python3' */
  readonly python?: string;
  /**
   * The read pass each backend is bounded by in the "vs read" column, by backend name: one of the
   * bench's (`'js'`, `'wasm'`, `'webgpu'`) or a factory of the backend's own. The built-ins have
   * theirs; an undeclared backend gets the JS loop. (`--import` modules declare theirs by
   * exporting `benchReadPasses`.)
   * @default {}
   */
  readonly readPasses?: Readonly<Record<string, ReadPassDeclaration>>;
  /**
   * JSON report path; null writes none. Default: `latest.json` (quick: `quick/latest.json`) in
   * {@link DEFAULT_RESULTS_DIR}: `bench/results/` in the repository, `./mlml-bench-results/` when installed.
   */
  readonly jsonPath?: string | null;
  /** Directory of the SVG charts and markdown snippet; null writes none. Default: the JSON's directory. */
  readonly svgDir?: string | null;
  /** Progress lines. @default writes to stderr */
  readonly log?: (line: string) => void;
  /** Tables. @default writes to stdout */
  readonly print?: (text: string) => void;
}

/** An option that is wrong (unknown backend...): the CLI reports it as a usage error. */
export class BenchUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchUsageError';
  }
}

/**
 * The directory the bench writes to by default: `bench/results/` in the repository checkout,
 * `./mlml-bench-results/` in the current directory when installed from npm.
 */
export const DEFAULT_RESULTS_DIR = defaultResultsDir();

interface BenchCase {
  readonly shape: BenchShape;
  readonly dtype: Dtype;
}

interface ReadPassEntry {
  readonly key: string;
  readonly pass: ReadPass;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs the bench: checks every available backend and peer against the reference on each case,
 * then times them (and the read passes), prints a table per case, and writes the JSON report,
 * the SVG charts and a markdown snippet. Resolves to the report.
 * @throws {DisagreementError} when an implementation disagrees with the reference (the bench stops).
 * @throws {BenchUsageError} for an unknown backend or shape.
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  useSwiftShaderIfNoDriverChosen();
  const started = Date.now();
  const quick = options.quick ?? false;
  const timeMs = options.timeMs ?? (quick ? 60 : 400);
  const minIterations = options.minIterations ?? (quick ? 3 : 5);
  const rounds = Math.max(1, Math.floor(options.rounds ?? (quick ? 1 : 3)));
  const seed = options.seed ?? DEFAULT_SEED;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const peers = options.peers ?? PEER_NAMES;
  const tfjsMaxBroadcast = options.tfjsMaxBroadcast ?? (quick ? 2 ** 18 : 2 ** 23);
  let shapes: BenchShape[];
  try {
    shapes = selectShapes(options.shapes ?? defaultShapeSelectors(quick), quick);
  } catch (error) {
    throw new BenchUsageError(errorMessage(error));
  }
  const cases: BenchCase[] = shapes.flatMap((shape) => [
    { shape, dtype: 'float32' as const },
    ...(FLOAT64_SHAPE_IDS.includes(shape.id) ? [{ shape, dtype: 'float64' as const }] : []),
  ]);

  const statuses: ImplementationStatus[] = [];
  const contenders: Contender[] = [];
  const backends: ILossBackend[] = [];
  const readPasses: ReadPassEntry[] = [];
  let torch: TorchRunner | undefined;
  let workDir: string | undefined;
  const oracle = createReferenceBackend();
  const declared = options.readPasses ?? {};
  const readPassKeyOf = (name: string) => readPassKey(name, readPassFor(name, declared));
  try {
    // Backends: every registered one (or those asked for) that initialises.
    const registered = listBackends().map((entry) => entry.name);
    const wanted = options.backends ?? registered;
    for (const name of wanted) {
      if (name !== REFERENCE_BACKEND && !registered.includes(name)) {
        throw new BenchUsageError(
          `unknown backend '${name}' (registered: ${registered.join(', ') || 'none'}; also: ${REFERENCE_BACKEND})`,
        );
      }
    }
    for (const name of wanted) {
      log(`initialising backend ${name}`);
      try {
        const backend = name === REFERENCE_BACKEND ? createReferenceBackend() : await createBackend(name);
        backends.push(backend);
        const contender = backendContender(backend);
        contenders.push(contender);
        statuses.push({ name, kind: 'backend', available: true, description: contender.description });
        if (name === 'wasm') {
          // The training-loop row gets an instance of its own: its thread policy then times only
          // calls with `out` (fresh-array calls, slowed by page faults, would otherwise steer it).
          const reusing = await createBackend(name);
          backends.push(reusing);
          const wasmContenders = [backendContender(reusing, `wasm${OUT_SUFFIX}`, { reuseOutputs: true })];
          if ((backend.capabilities.threads ?? 1) > 1) {
            // The same kernels on one thread, so the report separates the kernels from the threads.
            const single = await createWasmBackend({ threads: 1 });
            backends.push(single);
            wasmContenders.unshift(backendContender(single, WASM_SINGLE_THREAD));
            // One thread has no policy to steer: wasm-1t-out shares wasm-1t's instance.
            wasmContenders.push(
              backendContender(single, `${WASM_SINGLE_THREAD}${OUT_SUFFIX}`, { reuseOutputs: true }),
            );
          }
          for (const extra of wasmContenders) {
            contenders.push(extra);
            statuses.push({
              name: extra.name,
              kind: 'backend',
              available: true,
              description: extra.description,
            });
          }
        }
        if (isWebGpuBackend(backend)) {
          // The same backend on GPU-resident tensors, results left on the GPU (its own row).
          const resident = webgpuResidentContender(backend);
          contenders.push(resident);
          statuses.push({
            name: WEBGPU_RESIDENT,
            kind: 'backend',
            available: true,
            description: resident.description,
          });
        }
      } catch (error) {
        // createBackend(name) wraps the factory's reason in a list of one attempt: unwrap it.
        const reason =
          error instanceof BackendUnavailableError && error.attempts.length === 1
            ? error.attempts[0]!.reason
            : errorMessage(error);
        statuses.push({ name, kind: 'backend', available: false, reason });
        log(`  ${name} unavailable: ${reason}`);
      }
    }

    // Peers.
    let torchInfo: { version: string; defaultThreads: number } | null = null;
    if (peers.includes('torch')) {
      const python = options.python ?? DEFAULT_PYTHON;
      log(`starting PyTorch (${python})`);
      const started = await TorchRunner.start(python);
      if (started instanceof TorchRunner) {
        torch = started;
        torchInfo = { version: torch.info.torch, defaultThreads: torch.info.defaultThreads };
        workDir = await mkdtemp(join(tmpdir(), 'mlml-bench-'));
        const threadCounts = torch.info.defaultThreads > 1 ? [1, torch.info.defaultThreads] : [1];
        for (const threads of threadCounts) {
          const contender = torchContender(torch, threads, workDir);
          contenders.push(contender);
          statuses.push({
            name: contender.name,
            kind: 'peer',
            available: true,
            description: contender.description,
          });
        }
      } else {
        statuses.push({ name: 'torch', kind: 'peer', available: false, reason: started.unavailable });
        log(`  PyTorch unavailable: ${started.unavailable}`);
      }
    }
    const tfjsPeers = peers.filter((peer): peer is TfjsPeer => peer.startsWith('tfjs-'));
    const tfjs = await createTfjsContenders(tfjsPeers, tfjsMaxBroadcast);
    for (const contender of tfjs.contenders) {
      contenders.push(contender);
      statuses.push({
        name: contender.name,
        kind: 'peer',
        available: true,
        description: contender.description,
      });
    }
    for (const { name, reason } of tfjs.unavailable) {
      statuses.push({ name, kind: 'peer', available: false, reason });
      log(`  ${name} unavailable: ${reason}`);
    }
    const tfjsVersion =
      tfjsPeers.length > 0
        ? await loadTfjs().then(
            (t) => t.version,
            () => null,
          )
        : null;

    // Read passes: one per platform (or backend's own) of the backends in the run.
    const wantedPasses = new Map<string, ReadPassDeclaration>();
    for (const backend of backends) {
      const declaration = readPassFor(backend.name, declared);
      wantedPasses.set(readPassKey(backend.name, declaration), declaration);
    }
    for (const [key, declaration] of wantedPasses) {
      const loaded = await loadReadPass(declaration);
      if ('run' in loaded) {
        readPasses.push({ key, pass: loaded });
        statuses.push({ name: readPassRowName(key), kind: 'read-pass', available: true });
      } else {
        statuses.push({
          name: readPassRowName(key),
          kind: 'read-pass',
          available: false,
          reason: loaded.reason,
        });
        log(`  ${readPassRowName(key)} unavailable: ${loaded.reason}`);
      }
    }

    const machine = collectMachineInfo(torchInfo, tfjsVersion);
    const results: BenchResult[] = [];
    const skipped: SkippedCase[] = [];

    const plan = cases.map((benchCase) => {
      const running = contenders.filter((c) => c.skipReason(benchCase.shape, benchCase.dtype) === undefined);
      // A read pass runs where a backend it bounds runs (no webgpu read pass for float64).
      const bounding = readPasses.filter(({ key }) =>
        running.some((c) => c.kind === 'backend' && readPassKeyOf(c.name) === key),
      );
      return {
        benchCase,
        running,
        bounding,
        tasks: rounds * (running.length * MODES.length + bounding.length),
      };
    });
    const totalTasks = plan.reduce((sum, p) => sum + p.tasks, 0);
    let done = 0;
    const progress = (what: string, stats: TimingStats) => {
      done++;
      const spread =
        stats.samples === 1 ? 'n=1, the checked call' : `±${stats.rme.toFixed(1)}%, n=${stats.samples}`;
      log(
        `[${done}/${totalTasks}, ${totalTasks - done} left] ${what}: ${formatDuration(stats.medianMs)} median (${spread})`,
      );
    };
    log(
      `bench: ${cases.length} cases, ${contenders.length} implementations, ${readPasses.length} read passes, ${totalTasks} timed tasks (${rounds} round${rounds === 1 ? '' : 's'} per case), ${formatDuration(timeMs / rounds)} each`,
    );

    for (const [caseIndex, { benchCase, running, bounding }] of plan.entries()) {
      const { shape, dtype } = benchCase;
      const caseLabel = `${shape.label} ${dtype}`;
      for (const contender of contenders) {
        const reason = contender.skipReason(shape, dtype);
        if (reason !== undefined)
          skipped.push({ shape: shape.id, dtype, implementation: contender.name, reason });
      }
      log(`case ${caseIndex + 1}/${plan.length}: ${caseLabel}: generating data and the reference values`);
      const data = generateData(shape, dtype, seed);
      const referenceStart = performance.now();
      const expected = await referenceValues(oracle, data);
      log(`  reference computed in ${formatDuration(performance.now() - referenceStart)}`);

      // Every implementation is checked before anything of this case is timed.
      const agreements = new Map<string, { output: number; gradInput?: number }>();
      const firstCallMs = new Map<string, number>();
      for (const contender of running) {
        const prepared = await contender.prepare(data);
        try {
          for (const mode of MODES) {
            const callStart = performance.now();
            const actual = await prepared.values(mode).catch((error: unknown) => {
              throw new Error(`${contender.name} failed on ${caseLabel} ${mode}: ${errorMessage(error)}`, {
                cause: error,
              });
            });
            firstCallMs.set(`${contender.name}/${mode}`, performance.now() - callStart);
            const record = checkAgreement(
              contender.name,
              `${caseLabel} ${mode}`,
              expected[mode],
              actual,
              contender.tolerance(dtype, shape),
            );
            agreements.set(`${contender.name}/${mode}`, record);
          }
        } finally {
          await prepared.release();
        }
      }
      log(`  ${running.map((c) => c.name).join(', ') || 'nothing'} agree with the reference`);

      const caseResults: BenchResult[] = [];
      const roundMs = timeMs / rounds;
      const timing = timingFor(roundMs, Math.max(2, Math.ceil(minIterations / rounds)));
      // A call longer than the budget: the checked call was the warm-up; measure a few calls only.
      const slowTiming = { timeMs: roundMs, minIterations: quick ? 1 : 2, warmupMs: 0, warmupIterations: 0 };
      const timingOf = (key: string) => ((firstCallMs.get(key) ?? 0) > roundMs ? slowTiming : timing);
      // A call of several seconds (webgpu on SwiftShader, TF.js on big broadcasts): the checked call
      // is the one measurement (n = 1, in the first round only), so that one slow row cannot take
      // the run hostage.
      const singleCallMs = quick ? 2000 : 5000;
      const isSingleCall = (key: string) => (firstCallMs.get(key) ?? 0) > singleCallMs;
      const row = (
        implementation: string,
        kind: BenchResult['kind'],
        mode: BenchResult['mode'],
        stats: TimingStats & { roundMediansMs: number[] },
      ): BenchResult => ({
        shape: shape.id,
        label: shape.label,
        group: shape.group,
        batch: shape.batch,
        classes: shape.classes,
        targets: shape.targets,
        dtype,
        mode,
        implementation,
        kind,
        ...stats,
        elementsPerSecond: (shape.batch * shape.classes) / (stats.medianMs / 1000),
        speedupVsTorch: null,
        readPass: null,
        readPassFraction: null,
        agreement: mode === 'read' ? null : (agreements.get(`${implementation}/${mode}`) ?? null),
      });
      const measured = new Map<string, TimingStats[]>();
      const keep = (key: string, stats: TimingStats) =>
        measured.set(key, [...(measured.get(key) ?? []), stats]);
      const failedPasses = new Set<string>();
      const prepared = new Map<Contender, PreparedCase>();
      try {
        for (const contender of running) prepared.set(contender, await contender.prepare(data));
        for (let round = 0; round < rounds; round++) {
          const of = rounds > 1 ? ` (round ${round + 1}/${rounds})` : '';
          for (const contender of running) {
            for (const mode of MODES) {
              const key = `${contender.name}/${mode}`;
              if (isSingleCall(key)) {
                if (round === 0) {
                  const first = firstCallMs.get(key)!;
                  const stats = { medianMs: first, meanMs: first, minMs: first, rme: Number.NaN, samples: 1 };
                  keep(key, stats);
                  progress(`${shape.id} ${dtype} ${mode} ${contender.name}`, stats);
                } else {
                  done++;
                }
                continue;
              }
              await settle();
              const stats = await prepared.get(contender)!.time(mode, timingOf(key));
              keep(key, stats);
              progress(`${shape.id} ${dtype} ${mode} ${contender.name}${of}`, stats);
            }
          }
          for (const { key, pass } of bounding) {
            const name = readPassRowName(key);
            if (failedPasses.has(name)) {
              done++;
              continue;
            }
            try {
              if (round === 0) {
                const value = await pass.run(data.input.data, data.target.data);
                if (typeof value !== 'number' || Number.isNaN(value))
                  throw new Error(`returned ${String(value)}`);
              }
              await settle();
              const stats = await timeTask(name, () => pass.run(data.input.data, data.target.data), timing);
              keep(name, stats);
              progress(`${shape.id} ${dtype} ${name}${of}`, stats);
            } catch (error) {
              done++;
              failedPasses.add(name);
              measured.delete(name);
              skipped.push({ shape: shape.id, dtype, implementation: name, reason: errorMessage(error) });
              log(`  ${name} failed on ${caseLabel}: ${errorMessage(error)}`);
            }
          }
        }
      } finally {
        await Promise.all([...prepared.values()].map((p) => p.release()));
      }
      for (const contender of running) {
        for (const mode of MODES) {
          const stats = measured.get(`${contender.name}/${mode}`);
          if (stats !== undefined)
            caseResults.push(row(contender.name, contender.kind, mode, combineRounds(stats)));
        }
      }
      for (const { key } of bounding) {
        const name = readPassRowName(key);
        const stats = measured.get(name);
        if (stats !== undefined) caseResults.push(row(name, 'read-pass', 'read', combineRounds(stats)));
      }
      const finished = withRatios(caseResults, declared);
      results.push(...finished);
      print(
        formatCaseTable(
          caseLabel,
          finished,
          skipped.filter((s) => s.shape === shape.id && s.dtype === dtype),
        ),
      );
    }

    const report: BenchReport = {
      format: BENCH_REPORT_FORMAT,
      date: new Date(started).toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      machine,
      settings: {
        quick,
        timeMs,
        minIterations,
        seed,
        rounds,
        shapes: shapes.map((s) => s.id),
        tfjsMaxBroadcast,
        reduction: 'mean',
      },
      implementations: statuses,
      results,
      skipped,
    };
    const defaultJson = new URL(quick ? 'quick/latest.json' : 'latest.json', DEFAULT_RESULTS_DIR);
    const written = await writeOutputs(report, {
      jsonPath: options.jsonPath === undefined ? defaultJson : options.jsonPath,
      svgDir: options.svgDir,
    });
    for (const file of written) log(`wrote ${file}`);
    return report;
  } finally {
    await Promise.allSettled([
      ...backends.map((backend) => backend.dispose()),
      ...readPasses.map(({ pass }) => pass.dispose()),
      ...contenders.map((contender) => contender.dispose()),
      oracle.dispose(),
      disposeTfjs(),
    ]);
    await torch?.close();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * One row's statistics from its rounds: the median of the rounds' medians, the mean over every
 * call, the fastest call, the largest rme of a round, every call counted, and the rounds' medians.
 */
export function combineRounds(rounds: readonly TimingStats[]): TimingStats & { roundMediansMs: number[] } {
  const medians = rounds.map((r) => r.medianMs);
  const sorted = [...medians].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const samples = rounds.reduce((sum, r) => sum + r.samples, 0);
  return {
    medianMs,
    meanMs: rounds.reduce((sum, r) => sum + r.meanMs * r.samples, 0) / samples,
    minMs: Math.min(...rounds.map((r) => r.minMs)),
    rme: Math.max(...rounds.map((r) => r.rme)),
    samples,
    roundMediansMs: medians,
  };
}

/** The reference's values for both modes of a case. */
async function referenceValues(oracle: ILossBackend, data: BenchData): Promise<Record<Mode, CaseValues>> {
  const { input, target } = data;
  const forward = await oracle.forward(input, target);
  const gradient = await oracle.backward(input, target, { data: forward.data.slice().fill(1), shape: [] });
  return {
    forward: { output: forward.data },
    'forward-backward': { output: forward.data, gradInput: gradient.data },
  };
}

/**
 * Fills in the speed-up over PyTorch (1 thread) and the backend's read pass's median over its own
 * (`declared`: the backends' declared read passes, see {@link BenchOptions.readPasses}).
 */
export function withRatios(
  results: readonly BenchResult[],
  declared: Readonly<Record<string, ReadPassDeclaration>> = {},
): BenchResult[] {
  const median = (implementation: string, mode: BenchResult['mode']) =>
    results.find((r) => r.implementation === implementation && r.mode === mode)?.medianMs;
  return results.map((result) => {
    if (result.kind === 'read-pass') return result;
    const torchMedian = median('torch', result.mode);
    const readPass =
      result.kind === 'backend'
        ? readPassRowName(readPassKey(result.implementation, readPassFor(result.implementation, declared)))
        : null;
    const readMedian = readPass === null ? undefined : median(readPass, 'read');
    return {
      ...result,
      speedupVsTorch: torchMedian === undefined ? null : torchMedian / result.medianMs,
      readPass: readMedian === undefined ? null : readPass,
      readPassFraction: readMedian === undefined ? null : readMedian / result.medianMs,
    };
  });
}
