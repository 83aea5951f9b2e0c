import { compareTensor, effectiveTolerance } from '@mlml/conformance';
import {
  type BackendCapabilities,
  type FloatArray,
  type ILossBackend,
  isGpuTensor,
  isLossError,
  type Tensor,
} from '@mlml/core-spec';
import type { CallRecipe, GroupRecipe } from './CallRecipe.js';
import { DOCUMENTED_CODES } from './documentedCodes.js';
import type { FuzzTally } from './FuzzTally.js';
import { firstChangedByte, snapshotBuffer } from './heldArray.js';
import { type LiveCall, materialize } from './materialize.js';
import { type Outcome, settleWithin } from './Outcome.js';

/** What the fuzzer flags. */
export type FindingKind =
  | 'REFERENCE_UNTYPED_ERROR'
  | 'REFERENCE_TIMEOUT'
  | 'SYNC_THROW'
  | 'TIMEOUT'
  | 'UNTYPED_ERROR'
  | 'UNDOCUMENTED_CODE'
  | 'CODE_DIFFERS'
  | 'MESSAGE_DIFFERS'
  | 'REJECTED_BUT_REFERENCE_RESOLVES'
  | 'RESOLVED_BUT_REFERENCE_REJECTS'
  | 'WRONG_RESULT'
  | 'OUT_NOT_RETURNED'
  | 'INPUT_MUTATED'
  | 'OUT_GUARD_WRITTEN';

/** One violation, with the recipe that reproduces it. */
export interface Finding {
  /** What is wrong. */
  readonly kind: FindingKind;
  /** In words, with the values involved. */
  readonly detail: string;
  /** The call (rebuild it with `materialize(recipe, false)`). */
  readonly recipe: CallRecipe;
}

/** The backend under test and the oracle. */
export interface GroupContext {
  /** The backend under test. */
  readonly backend: ILossBackend;
  /** core-spec's reference backend (`createReferenceBackend()`). */
  readonly reference: ILossBackend;
  /** Where counts go. */
  readonly tally: FuzzTally;
  /** How long one call may take. */
  readonly timeoutMs: number;
}

/**
 * Runs a group: computes each call's expected outcome on the reference (from plain copies of the
 * arguments), then issues every call on the backend before awaiting any (rewriting a call's arrays
 * right after issuing it when its recipe says so), and judges each outcome. Returns the findings.
 */
export async function runGroup(group: GroupRecipe, context: GroupContext): Promise<Finding[]> {
  const { backend, reference, tally, timeoutMs } = context;
  const expectations: Expectation[] = [];
  for (const recipe of group.calls) {
    const outcome = await settleWithin(startCall(materialize(recipe, true), reference), timeoutMs);
    // The reference keeps results on the CPU: for `outputLocation: 'gpu-buffer'` a GPU-resident
    // backend is held to the reference's outcome of the same call on the CPU.
    let onCpu: Outcome | undefined;
    if (
      recipe.corruptions.includes('options:gpuBuffer') &&
      isLossError(outcome.kind === 'error' ? outcome.error : undefined, 'UNSUPPORTED_LOCATION')
    ) {
      const cpu = { ...recipe, corruptions: recipe.corruptions.filter((c) => c !== 'options:gpuBuffer') };
      onCpu = await settleWithin(startCall(materialize(cpu, true), reference), timeoutMs);
    }
    expectations.push({ outcome, onCpu });
  }
  const lives = group.calls.map((recipe) => materialize(recipe, false));
  const mutationChecks = lives.map((live) => (live.recipe.rewrite ? [] : live.watched.map((w) => w.take())));
  const guards = lives.map((live) =>
    [live.outOutput, live.outGradInput]
      .filter((a): a is FloatArray => a !== undefined)
      .map((array) => ({ array, before: snapshotBuffer(array) })),
  );
  // Each call's outcome is awaited from the moment it starts (no rejection goes unhandled).
  const settling = lives.map((live) => {
    tally.calls++;
    const outcome = settleWithin(startCall(live, backend), timeoutMs);
    if (live.recipe.rewrite) live.rewrite();
    return outcome;
  });
  const outcomes = await Promise.all(settling);
  const findings: Finding[] = [];
  lives.forEach((live, i) => {
    const found = judge(live, expectations[i]!, outcomes[i]!, backend.capabilities, tally);
    for (const check of mutationChecks[i]!) {
      const change = check();
      if (change !== undefined) found.push({ kind: 'INPUT_MUTATED', detail: change, recipe: live.recipe });
    }
    for (const { array, before } of guards[i]!) {
      const at = firstChangedByte(array, before, true);
      if (at >= 0)
        found.push({
          kind: 'OUT_GUARD_WRITTEN',
          detail: `byte ${at} of an out array's buffer, outside the array (bytes ${array.byteOffset}..${array.byteOffset + array.byteLength - 1}), changed`,
          recipe: live.recipe,
        });
    }
    for (const finding of found) tally.find(finding.kind);
    findings.push(...found);
  });
  return findings;
}

/** The reference's outcome of a call, and for a 'gpu-buffer' call the outcome on the CPU. */
interface Expectation {
  readonly outcome: Outcome;
  readonly onCpu: Outcome | undefined;
}

/** Starts a call; a synchronous throw becomes a rejection marked as such. */
function startCall(live: LiveCall, backend: ILossBackend): Promise<unknown> {
  try {
    return live.invoke(backend);
  } catch (error) {
    return Promise.reject(new SyncThrow(error));
  }
}

/** Wraps what a call threw synchronously instead of returning a rejected promise. */
class SyncThrow {
  constructor(readonly error: unknown) {}
}

/** The normalized results of a call: its output and gradient tensors, whichever it returns. */
interface Results {
  readonly output?: Tensor<FloatArray>;
  readonly gradInput?: Tensor<FloatArray>;
}

function resultsOf(recipe: CallRecipe, value: unknown): Results {
  const v = value as Record<string, unknown> | null;
  if (recipe.method === 'forward') return { output: v as unknown as Tensor<FloatArray> };
  if (recipe.method === 'backward') return { gradInput: v as unknown as Tensor<FloatArray> };
  return {
    output: v?.output as Tensor<FloatArray> | undefined,
    gradInput: v?.gradInput as Tensor<FloatArray> | undefined,
  } as Results;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `${typeof error} ${String(error)}`;
}

function judge(
  live: LiveCall,
  expectation: Expectation,
  actual: Outcome,
  capabilities: BackendCapabilities,
  tally: FuzzTally,
): Finding[] {
  const recipe = live.recipe;
  const { onCpu } = expectation;
  // A GPU-resident backend computes a 'gpu-buffer' call the reference rejects: it answers as the
  // reference does on the CPU (results on the GPU, or the CPU call's error).
  const gpuResident =
    onCpu !== undefined &&
    ((actual.kind === 'result' && isGpuResult(recipe, actual.value)) ||
      (actual.kind === 'error' && !isLossError(actual.error, 'UNSUPPORTED_LOCATION')));
  const expected = gpuResident ? onCpu : expectation.outcome;
  const finding = (kind: FindingKind, detail: string): Finding[] => [{ kind, detail, recipe }];
  if (expected.kind === 'timeout')
    return finding('REFERENCE_TIMEOUT', `the reference took over ${expected.ms} ms`);
  if (expected.kind === 'error' && !isLossError(expected.error))
    return finding('REFERENCE_UNTYPED_ERROR', `the reference threw ${describe(expected.error)}`);
  if (actual.kind === 'timeout') return finding('TIMEOUT', `no answer within ${actual.ms} ms`);
  if (actual.kind === 'error') {
    const error = actual.error;
    if (error instanceof SyncThrow)
      return finding('SYNC_THROW', `threw synchronously: ${describe(error.error)}`);
    if (!isLossError(error)) {
      tally.reject(error instanceof Error ? error.name : typeof error);
      return finding('UNTYPED_ERROR', describe(error));
    }
    tally.reject(error.code);
    if (!DOCUMENTED_CODES.includes(error.code)) return finding('UNDOCUMENTED_CODE', describe(error));
    if (expected.kind === 'error' && isLossError(expected.error)) {
      const want = expected.error;
      if (error.code !== want.code)
        return finding(
          'CODE_DIFFERS',
          `rejected with ${describe(error)}; the reference with ${describe(want)}`,
        );
      if (error.code === 'TARGET_OUT_OF_RANGE' && error.message !== want.message)
        return finding('MESSAGE_DIFFERS', `"${error.message}"; the reference: "${want.message}"`);
      return [];
    }
    const dtype = dtypeOfResults(resultsOf(recipe, expected.kind === 'result' ? expected.value : undefined));
    const unsupported = error.code === 'UNSUPPORTED_DTYPE' && !capabilities.dtypes.includes(dtype);
    if (unsupported || error.code === 'INPUT_TOO_LARGE') return [];
    return finding('REJECTED_BUT_REFERENCE_RESOLVES', describe(error));
  }
  const got = resultsOf(recipe, actual.value);
  if (isGpuResult(recipe, actual.value)) {
    tally.gpuResults++;
    for (const tensor of [got.output, got.gradInput]) {
      const buffer = isGpuTensor(tensor) ? (tensor.buffer as { destroy?: () => void }) : undefined;
      buffer?.destroy?.();
    }
    // Their values stay on the GPU: only the outcome is compared.
    if (expected.kind === 'result') return [];
    return finding(
      'RESOLVED_BUT_REFERENCE_REJECTS',
      `GPU-resident results; the reference rejected with ${describe(expected.kind === 'error' ? expected.error : undefined)}`,
    );
  }
  tally.results++;
  if (expected.kind === 'error')
    return finding(
      'RESOLVED_BUT_REFERENCE_REJECTS',
      `resolved; the reference rejected with ${describe(expected.error)}`,
    );
  const want = resultsOf(recipe, expected.value);
  const tolerance = effectiveTolerance(capabilities, dtypeOfResults(want));
  const found: Finding[] = [];
  for (const name of ['output', 'gradInput'] as const) {
    const wanted = want[name];
    if (wanted === undefined) continue;
    const classes = name === 'output' ? 1 : (wanted.shape[wanted.shape.length - 1] ?? 1);
    const tensorName = name === 'output' ? 'output' : 'grad_input';
    const differences = compareTensor(
      recipe.method,
      tensorName,
      got[name],
      wanted,
      tolerance,
      classes,
      1,
      'reference',
    );
    if (differences.length > 0) {
      const d = differences[0]!;
      found.push(...finding('WRONG_RESULT', `${tensorName}: ${d.message}`));
    }
  }
  const given = { output: live.outOutput, gradInput: live.outGradInput };
  for (const name of ['output', 'gradInput'] as const) {
    const array = given[name];
    if (array !== undefined && want[name] !== undefined && got[name]?.data !== array)
      found.push(...finding('OUT_NOT_RETURNED', `the caller's out.${name} was not the ${name} returned`));
  }
  return found;
}

/** Whether a call resolved with GPU-resident results. */
function isGpuResult(recipe: CallRecipe, value: unknown): boolean {
  const got = resultsOf(recipe, value);
  return isGpuTensor(got.output) || isGpuTensor(got.gradInput);
}

/** The dtype of a call's results (float32 unless a result is a Float64Array). */
function dtypeOfResults(results: Results): 'float32' | 'float64' {
  return results.output?.data instanceof Float64Array || results.gradInput?.data instanceof Float64Array
    ? 'float64'
    : 'float32';
}
