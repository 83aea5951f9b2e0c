import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page's source directory. From `src/browser/` and from `dist/browser/` alike, two levels up
 * is the package, so this is always the TypeScript page in `src/browser/page/`.
 */
export const PAGE_SOURCE_DIR = fileURLToPath(new URL('../../src/browser/page/', import.meta.url));

/** The export conditions of the page's bundle: the workspace packages' TypeScript source first. */
export const PAGE_CONDITIONS: readonly string[] = ['@mlml/source', 'browser', 'module', 'import', 'default'];

/**
 * Bundles the conformance page (the suite, the parser and `@mlml/loss` with its built-in
 * backends) with Vite into a fresh temporary directory, and returns that directory.
 */
export async function buildPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'mlml-conformance-page-'));
  const { build } = await import('vite');
  await build({
    root: PAGE_SOURCE_DIR,
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: [...PAGE_CONDITIONS] },
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  });
  return outDir;
}
