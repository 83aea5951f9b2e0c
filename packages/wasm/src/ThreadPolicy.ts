/**
 * Where a call computes: `'here'` on the calling thread alone, `'shared'` by the calling thread
 * and the workers, `'workers'` by the workers only (the calling thread copies and waits).
 */
export type Placement = 'here' | 'shared' | 'workers';

/** What a placement decision looks at: the problem's size and kind. */
export interface CallShape {
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** Whether the call computes a gradient too. */
  readonly gradient: boolean;
  /** The input's dtype. */
  readonly dtype: 'float32' | 'float64';
}

/** Options of a {@link ThreadPolicy}; the defaults suit every use. */
export interface ThreadPolicyOptions {
  /**
   * Whether the calling thread may compute. `false` on a browser page's main thread: then every
   * problem above {@link HERE_MAX_ELEMENTS} goes to the workers alone.
   * @default true
   */
  readonly callingThreadComputes?: boolean;
  /**
   * `'measured'`: each size class is timed alone and shared, and takes the faster (see
   * {@link ThreadPolicy}); `'always'`: every problem of at least {@link MIN_SHARED_ELEMENTS}
   * elements (and 2 rows) is shared (the shared-memory kernel of a PlacedLossKernel, which gets
   * only the calls to share; tests of the threaded path).
   * @default 'measured'
   */
  readonly sharing?: 'measured' | 'always';
}

/**
 * Problems with fewer elements (N·C) always run alone: sharing costs tens of microseconds
 * (waking a worker, the shared memory's copies), more than the kernels take for this many.
 */
export const MIN_SHARED_ELEMENTS = 32_768;
/**
 * On a thread that must not compute (a browser page's main thread), problems up to this many
 * elements still run here: they take microseconds, less than a round trip to a worker.
 */
export const HERE_MAX_ELEMENTS = 16_384;
/** Timings kept per size class and placement (their median decides). */
const SAMPLES = 9;
/**
 * Timings of each placement taken before a size class decides (after one call of each that is
 * not counted: the first calls of a size grow the memory and warm the code up).
 */
const PROBES = 5;
/**
 * A re-check of the losing placement times it this many calls in a row, its earlier timings
 * dropped: the decision then compares fresh timings with fresh timings (the same shapes may have
 * got cheaper or dearer since, e.g. other data, or a quieter machine).
 */
const RECHECK_CALLS = 3;
/** A re-check that placed this many calls without getting its timings is dropped. */
const MAX_RECHECK_PLACEMENTS = 4 * RECHECK_CALLS;
/** The first re-check of the losing placement comes after this many calls of the class ... */
const FIRST_RECHECK = 16;
/** ... and, while it keeps losing, ever later, up to this many calls apart. */
const MAX_RECHECK = 512;
/**
 * A size class is shared only while sharing is this much faster than computing alone: one thread
 * is the baseline the default must never fall behind, and timings on a busy machine are noisy.
 */
const SHARE_MARGIN = 0.95;

/** What a size class has measured. */
interface ClassRecord {
  readonly here: number[];
  readonly shared: number[];
  /** Whether a first, uncounted, call of each placement has been made. */
  hereWarm: boolean;
  sharedWarm: boolean;
  /** Calls of the class since the losing placement was last timed. */
  sinceRecheck: number;
  /** Calls between re-checks of the losing placement. */
  recheckEvery: number;
  /** During a re-check: the placement being timed again, and the answer before it. */
  recheck: Recheck | null;
  /** Whether the first {@link PROBES} timings of each placement are in (the class decides since). */
  decided: boolean;
}

/** A re-check in progress: the losing placement timed again. */
interface Recheck {
  /** The placement being timed again. */
  readonly placement: 'here' | 'shared';
  /** The answer before the re-check. */
  readonly before: 'here' | 'shared';
  /** Timings still to take. */
  left: number;
  /** Calls placed so far (timed or not). */
  placed: number;
}

/**
 * Decides per call whether to share a problem with the workers, from its size and shape and
 * from what this backend has measured: problems are grouped into size classes (dtype, gradient
 * or not, N and C each to the nearest power of two); a class's first calls alternate between
 * computing alone and shared ({@link PROBES} timings each), then it takes the placement with the
 * lower median of its last {@link SAMPLES} timings (sharing only if at least 5% faster), and now
 * and then (every 16 calls, then ever more rarely while the answer stays the same) times the other
 * one again for {@link RECHECK_CALLS} calls, in place of its old timings, so a machine that gets
 * busier or quieter, or data that gets cheaper or dearer, changes the answer. Rows are
 * independent, so the placement never changes a result, only its speed.
 */
export class ThreadPolicy {
  readonly #callingThreadComputes: boolean;
  readonly #always: boolean;
  readonly #classes = new Map<string, ClassRecord>();

  /** A policy; see {@link ThreadPolicyOptions}. */
  constructor(options: ThreadPolicyOptions = {}) {
    this.#callingThreadComputes = options.callingThreadComputes ?? true;
    this.#always = options.sharing === 'always';
  }

  /** Whether the calling thread may compute problems above {@link HERE_MAX_ELEMENTS}. */
  get callingThreadComputes(): boolean {
    return this.#callingThreadComputes;
  }

  /** Whether a call of `batch` rows of `classes` is always computed here, whatever was measured. */
  alwaysHere(batch: number, classes: number): boolean {
    const elements = batch * classes;
    if (!this.#callingThreadComputes) return elements <= HERE_MAX_ELEMENTS;
    return batch < 2 || elements < MIN_SHARED_ELEMENTS;
  }

  /** Where a call of this shape computes, given whether workers are available. */
  place(shape: CallShape, workers: boolean): Placement {
    if (!workers || this.alwaysHere(shape.batch, shape.classes)) return 'here';
    if (!this.#callingThreadComputes) return 'workers';
    if (this.#always) return 'shared';
    const record = this.#record(shape);
    const recheck = record.recheck;
    if (recheck !== null) {
      // Calls that are not timed (made while another was in flight) do not hold a re-check up.
      if (++recheck.placed <= MAX_RECHECK_PLACEMENTS) return recheck.placement;
      record.recheck = null;
    }
    if (!record.decided) {
      if (record.shared.length < PROBES || record.here.length < PROBES) {
        return record.shared.length <= record.here.length ? 'shared' : 'here';
      }
      record.decided = true;
    }
    const better = chooseBetween(record);
    if (++record.sinceRecheck < record.recheckEvery) return better;
    record.sinceRecheck = 0;
    const other = better === 'shared' ? 'here' : 'shared';
    // The losing placement's old timings may be stale: it is timed afresh.
    (other === 'shared' ? record.shared : record.here).length = 0;
    record.recheck = { placement: other, before: better, left: RECHECK_CALLS, placed: 1 };
    return other;
  }

  /** Records that a call of this shape took `ms` milliseconds, computed as `placement` said. */
  record(shape: CallShape, placement: Placement, ms: number): void {
    if (placement === 'workers' || !this.#callingThreadComputes || this.#always) return;
    if (shape.batch < 2 || shape.batch * shape.classes < MIN_SHARED_ELEMENTS) return;
    const record = this.#record(shape);
    if (placement === 'shared' ? !record.sharedWarm : !record.hereWarm) {
      if (placement === 'shared') record.sharedWarm = true;
      else record.hereWarm = true;
      return;
    }
    const samples = placement === 'shared' ? record.shared : record.here;
    samples.push(ms);
    if (samples.length > SAMPLES) samples.shift();
    const recheck = record.recheck;
    if (recheck === null || placement !== recheck.placement || --recheck.left > 0) return;
    // The re-check is complete: one that changed the answer starts re-checking often again; one
    // that did not, less often.
    record.recheck = null;
    const after = chooseBetween(record);
    record.recheckEvery =
      after === recheck.before ? Math.min(MAX_RECHECK, record.recheckEvery * 2) : FIRST_RECHECK;
  }

  #record(shape: CallShape): ClassRecord {
    const key = `${shape.dtype}/${shape.gradient ? 'grad' : 'fwd'}/${octave(shape.batch)}/${octave(shape.classes)}`;
    let record = this.#classes.get(key);
    if (record === undefined) {
      record = {
        here: [],
        shared: [],
        hereWarm: false,
        sharedWarm: false,
        sinceRecheck: 0,
        recheckEvery: FIRST_RECHECK,
        recheck: null,
        decided: false,
      };
      this.#classes.set(key, record);
    }
    return record;
  }
}

/**
 * The placement a probed class takes: shared if its median time beats alone's median by
 * {@link SHARE_MARGIN}. The median, not a lower quantile: a placement whose timings are bimodal
 * (fast in a quiet spell, several times slower otherwise, as a shared forward+backward with fresh
 * result arrays was in the bench) must not win on its fast calls alone, since one thread is the
 * baseline the default may not fall behind.
 */
export function chooseBetween(record: {
  readonly here: readonly number[];
  readonly shared: readonly number[];
}): 'here' | 'shared' {
  return median(record.shared) < median(record.here) * SHARE_MARGIN ? 'shared' : 'here';
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The nearest power of two's exponent. */
function octave(n: number): number {
  return Math.round(Math.log2(Math.max(1, n)));
}
