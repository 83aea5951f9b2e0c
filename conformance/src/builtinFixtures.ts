import type { GoldenFile } from './GoldenFile.js';
import type { LargeGoldenFile } from './LargeGoldenFile.js';
import { parseGoldenFile } from './parseGoldenFile.js';
import { parseLargeGoldenFile } from './parseLargeGoldenFile.js';

/** The golden files shipped in this package's `fixtures/` directory. */
export const BUILTIN_FIXTURE_FILES: readonly string[] = [
  'edge-cases.json',
  'pytorch-reference.json',
  'pytorch-random.json',
  'pytorch-special.json',
  'pytorch-wide.json',
  'pytorch-errors.json',
];

/** The built-in large golden files (`mlml-golden-large-v1`: seeded problems, PyTorch's results and checksums). */
export const BUILTIN_LARGE_FIXTURE_FILES: readonly string[] = ['pytorch-large.json'];

/** Where a built-in fixture file is, relative to this module (works from `src/` and `dist/`). */
export function builtinFixtureUrl(file: string): URL {
  return new URL(`../fixtures/${file}`, import.meta.url);
}

/**
 * Loads and parses the built-in fixtures without Node APIs: as JSON modules where the URL is a
 * file (Node, vitest), by `fetch` elsewhere (a browser page served with the package's files).
 * In a bundled browser app, import the JSON yourself (`@mlml/conformance/fixtures/<file>`) and
 * pass it to `parseGoldenFile`.
 */
export async function loadBuiltinFixtures(): Promise<GoldenFile[]> {
  return Promise.all(
    BUILTIN_FIXTURE_FILES.map(async (file) => parseGoldenFile(await readBuiltin(file), file)),
  );
}

/** Loads and parses the built-in large golden files, as {@link loadBuiltinFixtures} does. */
export async function loadBuiltinLargeFixtures(): Promise<LargeGoldenFile[]> {
  return Promise.all(
    BUILTIN_LARGE_FIXTURE_FILES.map(async (file) => parseLargeGoldenFile(await readBuiltin(file), file)),
  );
}

async function readBuiltin(file: string): Promise<unknown> {
  const url = builtinFixtureUrl(file);
  return url.protocol === 'file:'
    ? ((await import(/* @vite-ignore */ url.href, { with: { type: 'json' } })) as { default: unknown })
        .default
    : await (await fetch(url)).json();
}
