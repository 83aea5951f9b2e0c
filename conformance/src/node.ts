import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BUILTIN_FIXTURE_FILES, builtinFixtureUrl } from './builtinFixtures.js';
import type { GoldenFile } from './GoldenFile.js';
import { parseGoldenFile } from './parseGoldenFile.js';

/** The absolute paths of the built-in golden files (Node only). */
export function builtinFixturePaths(): string[] {
  return BUILTIN_FIXTURE_FILES.map((file) => fileURLToPath(builtinFixtureUrl(file)));
}

/**
 * Reads and parses golden files (Node only).
 * @throws {GoldenFormatError} for a malformed file, naming the file and the JSON path.
 * @throws the file system's error for a file that cannot be read.
 */
export async function loadGoldenFiles(paths: readonly string[]): Promise<GoldenFile[]> {
  return Promise.all(paths.map(async (path) => parseGoldenFile(await readFile(path, 'utf8'), path)));
}

/** The built-in golden files, read from disk (Node only). */
export async function loadBuiltinGoldenFiles(): Promise<GoldenFile[]> {
  const files = await loadGoldenFiles(builtinFixturePaths());
  return files.map((file, i) => ({ ...file, source: BUILTIN_FIXTURE_FILES[i]! }));
}
