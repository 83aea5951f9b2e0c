// The page `mlml conformance --browser` opens: it registers the built-in backends (through
// @mlml/loss) and exposes the suite to the Node side as globalThis.mlmlConformance.
import { listBackends } from '@mlml/loss';
import type { GoldenFile } from '../../GoldenFile.js';
import type { LargeGoldenFile } from '../../LargeGoldenFile.js';
import { computeResultsInPage } from '../computeResultsInPage.js';
import { parseFixtureText } from '../parseFixtureText.js';
import { PAGE_API_GLOBAL, type PageApi, type PageFixture, PROGRESS_PREFIX } from '../protocol.js';
import { runMatrixInPage } from '../runMatrixInPage.js';

const status = document.getElementById('status')!;

/** Fetches the golden files and parses them by format. */
async function fetchFixtures(
  fixtures: readonly PageFixture[],
): Promise<{ golden: GoldenFile[]; large: LargeGoldenFile[] }> {
  const parsed = await Promise.all(
    fixtures.map(async ({ url, source }) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`cannot fetch ${source} (${url}): HTTP ${response.status}`);
      return parseFixtureText(await response.text(), source);
    }),
  );
  return {
    golden: parsed.flatMap((p) => (p.kind === 'golden' ? [p.file] : [])),
    large: parsed.flatMap((p) => (p.kind === 'large' ? [p.file] : [])),
  };
}

const api: PageApi = {
  environment: () => ({
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    userAgent: navigator.userAgent,
    registered: listBackends().map((b) => b.name),
  }),
  matrix: async ({ backends, fixtures }) =>
    runMatrixInPage(backends, await fetchFixtures(fixtures), (name) => {
      status.textContent = `running ${name}`;
      console.log(`${PROGRESS_PREFIX}running ${name}...`);
    }),
  results: async ({ backend, fixtures }) =>
    computeResultsInPage(backend, (await fetchFixtures(fixtures)).golden),
};

(globalThis as Record<string, unknown>)[PAGE_API_GLOBAL] = api;
status.textContent = 'ready';
status.dataset.ready = '1';
