/** How long and how hard the fuzzer runs. */
export interface FuzzSettings {
  /** Groups of calls (one to four calls each) per backend. */
  readonly runs: number;
  /** fast-check's seed: the same seed replays the same calls. */
  readonly seed: number;
  /** How long one call may take before it counts as hanging, in ms. */
  readonly timeoutMs: number;
  /** Wall-clock budget per backend, in ms: fast-check stops generating (and shrinking) after it. */
  readonly budgetMs: number;
  /** Whether this is the long run (`pnpm fuzz`). */
  readonly long: boolean;
}

/** The CI run's seed (the long run takes a fresh one unless `MLML_FUZZ_SEED` is set). */
export const CI_SEED = 20261202;

/**
 * Settings from the environment: `MLML_FUZZ_LONG=1` (what `pnpm fuzz` sets) for the long run,
 * `MLML_FUZZ_RUNS` (groups per backend; default 40, long 1500), `MLML_FUZZ_SEED` (default
 * 20261202; long: the time), `MLML_FUZZ_TIMEOUT_MS` (per call; default 30000) and
 * `MLML_FUZZ_BUDGET_MS` (per backend; default 120000, long 1800000).
 */
export function fuzzSettings(env: Readonly<Record<string, string | undefined>>): FuzzSettings {
  const long = env.MLML_FUZZ_LONG === '1';
  const number = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
    return value;
  };
  return {
    long,
    runs: number('MLML_FUZZ_RUNS', long ? 1500 : 40),
    seed: number('MLML_FUZZ_SEED', long ? Date.now() % 2 ** 31 : CI_SEED),
    timeoutMs: number('MLML_FUZZ_TIMEOUT_MS', 30_000),
    budgetMs: number('MLML_FUZZ_BUDGET_MS', long ? 1_800_000 : 120_000),
  };
}
