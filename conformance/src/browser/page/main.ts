// The page `mlml conformance --browser` opens: it registers the built-in backends (through
// @mlml/loss) and exposes the suite to the Node side as globalThis.mlmlConformance.
import { listBackends } from '@mlml/loss';
import type { GoldenFile } from '../../GoldenFile.js';
import { parseGoldenFile } from '../../parseGoldenFile.js';
import { computeResultsInPage } from '../computeResultsInPage.js';
import { PAGE_API_GLOBAL, type PageApi, type PageFixture, PROGRESS_PREFIX } from '../protocol.js';
import { runMatrixInPage } from '../runMatrixInPage.js';

const status = document.getElementById('status')!;

async function fetchFixtures(fixtures: readonly PageFixture[]): Promise<GoldenFile[]> {
  return Promise.all(
    fixtures.map(async ({ url, source }) => {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`cannot fetch ${source} (${url}): HTTP ${response.status}`);
      return parseGoldenFile(await response.text(), source);
    }),
  );
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
  results: async ({ backend, fixtures }) => computeResultsInPage(backend, await fetchFixtures(fixtures)),
};

(globalThis as Record<string, unknown>)[PAGE_API_GLOBAL] = api;
status.textContent = 'ready';
status.dataset.ready = '1';
