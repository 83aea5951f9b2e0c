import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createBackend, type ILossBackend, listBackends } from '@mlml/loss';
import { computeResults } from './computeResults.js';
import { formatCaseResult, formatTolerances } from './formatReport.js';
import type { GoldenFile } from './GoldenFile.js';
import type { LargeGoldenFile } from './LargeGoldenFile.js';
import {
  builtinFixturePaths,
  builtinLargeFixturePaths,
  type FixtureFiles,
  loadBuiltinGoldenFiles,
  loadBuiltinLargeGoldenFiles,
  loadFixtureFiles,
} from './node.js';
import { GoldenFormatError } from './parseGoldenFile.js';
import { type CaseResult, type ConformanceReport, describeError, runConformance } from './runConformance.js';

/** Where CLI commands write (the `mlml` CLI passes its own; tests capture it). */
export interface CommandIo {
  /** A line to standard output. */
  out(line: string): void;
  /** A line to standard error. */
  err(line: string): void;
}

/** What happened to one backend in a {@link runConformanceMatrix} run. */
export interface BackendOutcome {
  /** The backend's registered name. */
  readonly name: string;
  /** Whether it was named explicitly (then being unavailable is a failure). */
  readonly explicit: boolean;
  /** Its report, when it initialised. */
  readonly report?: ConformanceReport;
  /** Why it could not be created, when it did not initialise. */
  readonly unavailable?: string;
}

/** The result of {@link runConformanceMatrix}. */
export interface MatrixResult {
  /** One entry per backend, in the order run. */
  readonly backends: readonly BackendOutcome[];
  /** The case groups, in first-seen order. */
  readonly groups: readonly string[];
  /** The golden files' sources. */
  readonly sources: readonly string[];
  /** No failed case, and every explicitly named backend initialised (and at least one ran). */
  readonly ok: boolean;
}

/** Options of {@link runConformanceMatrix}. */
export interface MatrixOptions {
  /** `all` (every registered backend; the default) or names. */
  readonly backends?: 'all' | readonly string[];
  /** Parsed golden files. Default: the built-in fixtures. */
  readonly fixtures?: readonly GoldenFile[];
  /** Parsed large golden files. Default: the built-in ones when `fixtures` is not given. */
  readonly largeFixtures?: readonly LargeGoldenFile[];
  /** Called before each backend runs, e.g. for progress. */
  readonly onBackend?: (name: string) => void;
}

/** The matrix group of a case result: the first segment of its id, or its file when the id has none. */
export function matrixGroup(result: CaseResult): string {
  return result.id.includes('/') ? result.group : basename(result.source);
}

/**
 * Runs the conformance suite on several backends (registered by `@mlml/loss`), each created
 * fresh and disposed at the end (with the `BACKEND_DISPOSED` check). A backend that fails to
 * initialise is reported unavailable with the reason.
 * @throws {Error} for a name that is not registered.
 */
export async function runConformanceMatrix(options: MatrixOptions = {}): Promise<MatrixResult> {
  const registered = listBackends().map((b) => b.name);
  const explicit = options.backends !== undefined && options.backends !== 'all';
  const names = explicit ? [...(options.backends as readonly string[])] : registered;
  const unknown = names.filter((name) => !registered.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown backend ${unknown.map((n) => `'${n}'`).join(', ')} (registered: ${registered.join(', ')})`,
    );
  }
  const fixtures = options.fixtures ?? (await loadBuiltinGoldenFiles());
  const largeFixtures =
    options.largeFixtures ?? (options.fixtures === undefined ? await loadBuiltinLargeGoldenFiles() : []);
  const outcomes: BackendOutcome[] = [];
  for (const name of names) {
    options.onBackend?.(name);
    let backend: ILossBackend;
    try {
      backend = await createBackend(name);
    } catch (error) {
      const attempts = (error as { attempts?: { reason: string }[] }).attempts;
      const reason = attempts?.[0]?.reason ?? describeError(error);
      outcomes.push({ name, explicit, unavailable: reason });
      continue;
    }
    try {
      outcomes.push({
        name,
        explicit,
        report: await runConformance(backend, { fixtures, largeFixtures, checkDispose: true }),
      });
    } finally {
      await backend.dispose().catch(() => undefined);
    }
  }
  const groups: string[] = [];
  for (const outcome of outcomes) {
    for (const result of outcome.report?.cases ?? []) {
      const group = matrixGroup(result);
      if (!groups.includes(group)) groups.push(group);
    }
  }
  const ran = outcomes.filter((o) => o.report !== undefined);
  const ok =
    ran.length > 0 &&
    ran.every((o) => o.report!.failed === 0) &&
    outcomes.every((o) => !o.explicit || o.unavailable === undefined);
  return {
    backends: outcomes,
    groups,
    sources: [...fixtures, ...largeFixtures].map((f) => f.source),
    ok,
  };
}

function cell(results: readonly CaseResult[]): string {
  if (results.length === 0) return '-';
  const count = (status: CaseResult['status']) => results.filter((r) => r.status === status).length;
  const parts = [`${count('passed')} ok`];
  if (count('failed') > 0) parts.push(`${count('failed')} FAIL`);
  if (count('skipped') > 0) parts.push(`${count('skipped')} skip`);
  return parts.join(', ');
}

/**
 * The matrix as lines: one row per case group, one column per backend (passed/failed/skipped
 * counts), a total row, unavailable backends with their reason, then up to `maxFailures` failed
 * cases per backend in detail.
 */
export function formatMatrix(result: MatrixResult, maxFailures = 5): string[] {
  const lines: string[] = [];
  const columns = result.backends.map((b) => b.name);
  const rows: string[][] = [['group', ...columns]];
  for (const group of result.groups) {
    rows.push([
      group,
      ...result.backends.map((b) =>
        b.report === undefined ? 'unavailable' : cell(b.report.cases.filter((c) => matrixGroup(c) === group)),
      ),
    ]);
  }
  rows.push([
    'total',
    ...result.backends.map((b) => (b.report === undefined ? 'UNAVAILABLE' : cell(b.report.cases))),
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const [i, row] of rows.entries()) {
    lines.push(
      row
        .map((text, j) => text.padEnd(widths[j]!))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0 || i === rows.length - 2) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const backend of result.backends) {
    if (backend.unavailable !== undefined) {
      lines.push(
        `${backend.explicit ? 'FAILED' : 'UNAVAILABLE'}: backend '${backend.name}' did not initialise: ${backend.unavailable}`,
      );
    }
  }
  for (const backend of result.backends) {
    if (backend.report !== undefined) lines.push(`${backend.name}: ${formatTolerances(backend.report)}`);
  }
  for (const backend of result.backends) {
    for (const note of backend.report?.notes ?? []) lines.push(`note: ${note}`);
    const failures = backend.report?.cases.filter((c) => c.status === 'failed') ?? [];
    if (failures.length === 0) continue;
    lines.push(
      '',
      `${backend.name}: ${failures.length} failed case(s)${failures.length > maxFailures ? `, the first ${maxFailures}` : ''}:`,
    );
    for (const failure of failures.slice(0, maxFailures))
      lines.push(...formatCaseResult(failure).split('\n'));
  }
  lines.push(
    '',
    result.ok
      ? 'conformance: PASS'
      : `conformance: FAIL (${result.backends.filter((b) => (b.report?.failed ?? 0) > 0).length} backend(s) with failed cases${
          result.backends.some((b) => b.explicit && b.unavailable !== undefined)
            ? ', a named backend unavailable'
            : ''
        })`,
  );
  return lines;
}

const CONFORMANCE_USAGE =
  'usage: mlml conformance [--backend all|NAME[,NAME]] [--fixtures FILE]... [--browser]  (FILE may be "builtin"; default: the built-in fixtures; --browser: in headless Chromium, a plain and a cross-origin isolated page)';

/** Parsed `--name value` arguments (shared with the `--browser` commands). */
export interface ParsedArgs {
  readonly values: Map<string, string[]>;
  readonly help: boolean;
}

/** A bad argument or file: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Parses `--name value` / `--name=value` arguments of the allowed names (and `--help`). */
export function parseArgs(args: readonly string[], allowed: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match === null || !allowed.includes(match[1]!)) throw new UsageError(`unknown argument '${arg}'`);
    const name = match[1]!;
    const value = match[2] ?? args[++i];
    if (value === undefined || value === '' || (match[2] === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return { values, help };
}

/** Reads golden files (`builtin` names the built-in set); a bad file is a {@link UsageError}. */
export async function readFixtures(files: readonly string[]): Promise<FixtureFiles> {
  const paths = files.flatMap((file) =>
    file === 'builtin' ? [...builtinFixturePaths(), ...builtinLargeFixturePaths()] : [file],
  );
  try {
    return await loadFixtureFiles(paths);
  } catch (error) {
    if (error instanceof GoldenFormatError) throw new UsageError(`malformed golden file ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new UsageError(`cannot read fixtures: ${(error as Error).message}`);
    throw error;
  }
}

/**
 * `mlml conformance [--backend all|NAME[,NAME]] [--fixtures FILE]...`: the suite on each backend,
 * printed as a matrix of case groups x backends, then the first failures in detail.
 * `--fixtures` may repeat (`builtin` names the built-in set, the default when none is given).
 * @returns the exit code: 0 all passed, 1 a failed case or an unavailable named backend, 2 bad arguments.
 */
export async function runConformanceCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('--browser')) {
    const { runBrowserConformanceCommand } = await import('./browser/browserCommands.js');
    return runBrowserConformanceCommand(
      args.filter((arg) => arg !== '--browser'),
      io,
    );
  }
  let parsed: ParsedArgs;
  let fixtures: GoldenFile[];
  let largeFixtures: LargeGoldenFile[];
  let backends: 'all' | string[];
  try {
    parsed = parseArgs(args, ['backend', 'fixtures']);
    if (parsed.help) {
      io.out(CONFORMANCE_USAGE);
      return 0;
    }
    const backendArgs = parsed.values.get('backend') ?? ['all'];
    const names = backendArgs.flatMap((b) => b.split(',')).map((b) => b.trim());
    if (names.some((n) => n === '')) throw new UsageError('--backend has an empty name');
    backends = names.includes('all') ? 'all' : [...new Set(names)];
    if (backends !== 'all') {
      const registered = listBackends().map((b) => b.name);
      const unknown = backends.filter((n) => !registered.includes(n));
      if (unknown.length > 0) {
        throw new UsageError(`unknown backend '${unknown[0]}' (registered: ${registered.join(', ')})`);
      }
    }
    const files = parsed.values.get('fixtures');
    if (files === undefined) {
      fixtures = await loadBuiltinGoldenFiles();
      largeFixtures = await loadBuiltinLargeGoldenFiles();
    } else {
      ({ golden: fixtures, large: largeFixtures } = await readFixtures(files));
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mlml conformance: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const total = [...fixtures, ...largeFixtures].reduce((n, f) => n + f.cases.length, 0);
  io.out(
    `conformance: ${fixtures.length + largeFixtures.length} golden file(s), ${total} cases; backends: ${backends === 'all' ? 'all registered' : backends.join(', ')}`,
  );
  const result = await runConformanceMatrix({
    backends,
    fixtures,
    largeFixtures,
    onBackend: (name) => io.out(`  running ${name}...`),
  });
  io.out('');
  for (const line of formatMatrix(result)) io.out(line);
  return result.ok ? 0 : 1;
}

const RUN_USAGE = 'usage: mlml run --backend NAME --fixtures FILE [--out FILE] [--browser]';

/** The arguments of `mlml run`, checked alike in Node and in the browser. */
export interface RunArgs {
  /** The one `--backend` value, as given. */
  readonly backend: string;
  /** The `--fixtures` files. */
  readonly files: readonly string[];
  /** The `--out` file, if any. */
  readonly out: string | undefined;
}

/**
 * Reads `mlml run`'s arguments: exactly one `--backend`, at least one `--fixtures`, at most one
 * `--out`; undefined for `--help`. `usage` is quoted in the errors.
 * @throws {UsageError} naming what is missing or repeated.
 */
export function readRunArgs(args: readonly string[], usage: string): RunArgs | undefined {
  const parsed = parseArgs(args, ['backend', 'fixtures', 'out']);
  if (parsed.help) return undefined;
  const backend = parsed.values.get('backend');
  const files = parsed.values.get('fixtures');
  if (backend?.length !== 1) throw new UsageError(`give exactly one --backend (${usage})`);
  if (files === undefined) throw new UsageError(`give --fixtures FILE (${usage})`);
  const out = parsed.values.get('out');
  if ((out?.length ?? 0) > 1) throw new UsageError('give at most one --out');
  return { backend: backend[0]!, files, out: out?.[0] };
}

/**
 * `mlml run --backend NAME --fixtures FILE [--out FILE]`: computes every case of a golden file
 * (forward, or forwardBackward when the case has grad_output), compares nothing, and writes
 * `mlml-results-v1` JSON to FILE or stdout.
 * @returns the exit code: 0 written, 1 the backend did not initialise, 2 bad arguments or file.
 */
export async function runGoldenCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('--browser')) {
    const { runBrowserGoldenCommand } = await import('./browser/browserCommands.js');
    return runBrowserGoldenCommand(
      args.filter((arg) => arg !== '--browser'),
      io,
    );
  }
  let backendName: string;
  let fixtures: GoldenFile[];
  let out: string | undefined;
  try {
    const run = readRunArgs(args, RUN_USAGE);
    if (run === undefined) {
      io.out(RUN_USAGE);
      return 0;
    }
    const files = run.files;
    backendName = run.backend;
    const registered = listBackends().map((b) => b.name);
    if (!registered.includes(backendName)) {
      throw new UsageError(`unknown backend '${backendName}' (registered: ${registered.join(', ')})`);
    }
    const read = await readFixtures(files);
    if (read.large.length > 0) {
      throw new UsageError(
        `${read.large[0]!.source} is a large golden file (seeded problems); mlml run takes mlml-golden-v1 files`,
      );
    }
    fixtures = read.golden;
    out = run.out;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mlml run: ${error.message}`);
      return 2;
    }
    throw error;
  }
  let backend: ILossBackend;
  try {
    backend = await createBackend(backendName);
  } catch (error) {
    io.err(
      `mlml run: backend '${backendName}' did not initialise: ${describeError(error).replace(/\n/g, ' ')}`,
    );
    return 1;
  }
  let text: string;
  try {
    text = await computeResults(backend, backendName, fixtures);
  } finally {
    await backend.dispose().catch(() => undefined);
  }
  if (out === undefined) io.out(text);
  else await writeFile(out, text, 'utf8');
  return 0;
}
