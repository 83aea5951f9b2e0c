import { writeFile } from 'node:fs/promises';
import { listBackends } from '@mlml/loss';
import { BUILTIN_FIXTURE_FILES, BUILTIN_LARGE_FIXTURE_FILES } from '../builtinFixtures.js';
import { type CommandIo, formatMatrix, parseArgs, readFixtures, readRunArgs, UsageError } from '../cli.js';
import { builtinFixturePaths, builtinLargeFixturePaths, loadFixtureFiles } from '../node.js';
import { type FixtureFile, PAGE_TITLES, type PageKind, PageSession } from './PageSession.js';
import {
  PAGE_API_GLOBAL,
  type PageApi,
  type PageMatrixRequest,
  type PageResultsRequest,
} from './protocol.js';
import { toMatrixResult } from './toMatrixResult.js';

const CONFORMANCE_USAGE =
  'usage: mlml conformance --browser [--backend all|NAME[,NAME]] [--fixtures FILE]...  (in headless Chromium: a plain and a cross-origin isolated page; every backend must run)';
const RUN_USAGE =
  'usage: mlml run --browser --backend NAME --fixtures FILE [--out FILE]  (in a cross-origin isolated page)';

/** The built-in golden files (both formats), named as the Node run names them. */
function builtinFiles(): FixtureFile[] {
  return [
    ...builtinFixturePaths().map((path, i) => ({ path, source: BUILTIN_FIXTURE_FILES[i]! })),
    ...builtinLargeFixturePaths().map((path, i) => ({ path, source: BUILTIN_LARGE_FIXTURE_FILES[i]! })),
  ];
}

/**
 * The golden files named by `--fixtures` (`builtin` expands to the built-in set), parsed in Node
 * first so that a bad file is a usage error here; `goldenOnly` rejects large golden files (as
 * `mlml run` does).
 */
async function fixtureFiles(
  files: readonly string[] | undefined,
  goldenOnly = false,
): Promise<{ files: FixtureFile[]; cases: number }> {
  const read =
    files === undefined
      ? await loadFixtureFiles(builtinFiles().map((f) => f.path))
      : await readFixtures(files);
  if (goldenOnly && read.large.length > 0) {
    throw new UsageError(
      `${read.large[0]!.source} is a large golden file (seeded problems); mlml run takes mlml-golden-v1 files`,
    );
  }
  const cases = [...read.golden, ...read.large].reduce((n, f) => n + f.cases.length, 0);
  if (files === undefined) return { files: builtinFiles(), cases };
  const paths = files.flatMap((file) =>
    file === 'builtin' ? [...builtinFixturePaths(), ...builtinLargeFixturePaths()] : [file],
  );
  return { files: paths.map((path) => ({ path, source: path })), cases };
}

function backendNames(values: readonly string[] | undefined): 'all' | string[] {
  const names = (values ?? ['all']).flatMap((b) => b.split(',')).map((b) => b.trim());
  if (names.some((n) => n === '')) throw new UsageError('--backend has an empty name');
  if (names.includes('all')) return 'all';
  const registered = listBackends().map((b) => b.name);
  const unknown = names.filter((n) => !registered.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown backend '${unknown[0]}' (registered: ${registered.join(', ')})`);
  }
  return [...new Set(names)];
}

function usageFailure(command: string, error: unknown, io: CommandIo): number {
  if (!(error instanceof UsageError)) throw error;
  io.err(`mlml ${command}: ${error.message}`);
  return 2;
}

/**
 * Starts the page session, or prints why it cannot start (no chromium, no vite or playwright-core,
 * a page that does not build) and returns undefined.
 */
async function startSession(
  command: string,
  files: readonly FixtureFile[],
  io: CommandIo,
): Promise<PageSession | undefined> {
  try {
    return await PageSession.start(files);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missing = /Cannot find (package|module) '(vite|playwright-core)'/.exec(message)?.[2];
    io.err(
      `mlml ${command} --browser: cannot start the browser run: ${
        missing === undefined
          ? message
          : `${missing} is not installed (npm i -D vite@8.3.8 playwright-core@1.65.1)`
      }`,
    );
    return undefined;
  }
}

/**
 * `mlml conformance --browser [--backend all|NAME[,NAME]] [--fixtures FILE]...`: the Node command's
 * suite, fixtures and matrix, run inside headless Chromium in a plain page and in a cross-origin
 * isolated page (wasm on worker threads there). Every backend must initialise in both pages: a
 * missing WebGPU adapter is a failure.
 * @returns the exit code: 0 all passed in both pages, 1 a failure, 2 bad arguments.
 */
export async function runBrowserConformanceCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let files: FixtureFile[];
  let cases: number;
  let backends: 'all' | string[];
  try {
    const parsed = parseArgs(args, ['backend', 'fixtures']);
    if (parsed.help) {
      io.out(CONFORMANCE_USAGE);
      return 0;
    }
    backends = backendNames(parsed.values.get('backend'));
    ({ files, cases } = await fixtureFiles(parsed.values.get('fixtures')));
  } catch (error) {
    return usageFailure('conformance', error, io);
  }
  io.out(
    `conformance --browser: ${files.length} golden file(s), ${cases} cases; backends: ${backends === 'all' ? 'all registered in the page' : backends.join(', ')}; building the page...`,
  );
  const session = await startSession('conformance', files, io);
  if (session === undefined) return 1;
  const failedPages: PageKind[] = [];
  try {
    for (const kind of ['plain', 'isolated'] as const) {
      const started = performance.now();
      const { page, environment, fixtures } = await session.open(kind, (line) => io.out(`  ${line}`));
      io.out('');
      io.out(
        `== ${PAGE_TITLES[kind]}: ${environment.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? environment.userAgent} ==`,
      );
      const request: PageMatrixRequest = { backends, fixtures };
      const outcomes = await page.evaluate(
        ([name, r]) => (globalThis as unknown as Record<string, PageApi>)[name]!.matrix(r),
        [PAGE_API_GLOBAL, request] as const,
      );
      await page.close();
      const result = toMatrixResult(
        outcomes,
        files.map((f) => f.source),
      );
      io.out('');
      for (const line of formatMatrix(result)) io.out(line);
      const threads = outcomes
        .filter((o) => (o.threads ?? 1) > 1)
        .map((o) => `${o.name} on ${o.threads} threads`);
      io.out(
        `(${((performance.now() - started) / 1000).toFixed(1)} s${threads.length > 0 ? `; ${threads.join(', ')}` : ''})`,
      );
      if (!result.ok) failedPages.push(kind);
    }
  } finally {
    await session.close();
  }
  io.out('');
  io.out(
    failedPages.length === 0
      ? 'conformance --browser: PASS (plain and cross-origin isolated page)'
      : `conformance --browser: FAIL (${failedPages.join(' and ')} page)`,
  );
  return failedPages.length === 0 ? 0 : 1;
}

/**
 * `mlml run --browser --backend NAME --fixtures FILE [--out FILE]`: `mlml run` computed inside
 * headless Chromium, in a cross-origin isolated page: the same `mlml-results-v1` JSON.
 * @returns the exit code: 0 written, 1 the backend did not initialise in the page, 2 bad arguments.
 */
export async function runBrowserGoldenCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let files: FixtureFile[];
  let backend: string;
  let out: string | undefined;
  try {
    const run = readRunArgs(args, RUN_USAGE);
    if (run === undefined) {
      io.out(RUN_USAGE);
      return 0;
    }
    const chosen = backendNames([run.backend]);
    if (chosen === 'all') throw new UsageError(`give one backend name, not all (${RUN_USAGE})`);
    backend = chosen[0]!;
    ({ files } = await fixtureFiles(run.files, true));
    out = run.out;
  } catch (error) {
    return usageFailure('run', error, io);
  }
  const session = await startSession('run', files, io);
  if (session === undefined) return 1;
  let answer: { readonly json?: string; readonly unavailable?: string };
  try {
    const { page, fixtures } = await session.open('isolated', (line) => io.err(line));
    const request: PageResultsRequest = { backend, fixtures };
    answer = await page.evaluate(
      ([name, r]) => (globalThis as unknown as Record<string, PageApi>)[name]!.results(r),
      [PAGE_API_GLOBAL, request] as const,
    );
  } finally {
    await session.close();
  }
  if (answer.json === undefined) {
    io.err(
      `mlml run: backend '${backend}' did not initialise in the browser: ${answer.unavailable ?? 'unknown reason'}`,
    );
    return 1;
  }
  if (out === undefined) io.out(answer.json);
  else await writeFile(out, answer.json, 'utf8');
  return 0;
}
