import { fileURLToPath } from 'node:url';
import { BUILTIN_FIXTURE_FILES, BUILTIN_LARGE_FIXTURE_FILES, builtinFixtureUrl } from './builtinFixtures.js';
import type { GoldenFile } from './GoldenFile.js';
import { LARGE_GOLDEN_FORMAT, type LargeGoldenFile } from './LargeGoldenFile.js';
import { GoldenFormatError, parseGoldenFile } from './parseGoldenFile.js';
import { parseLargeGoldenFile } from './parseLargeGoldenFile.js';
import { readBoundedText } from './readBoundedText.js';

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
  return Promise.all(paths.map(async (path) => parseGoldenFile(await readBoundedText(path), path)));
}

/** The built-in golden files, read from disk (Node only). */
export async function loadBuiltinGoldenFiles(): Promise<GoldenFile[]> {
  const files = await loadGoldenFiles(builtinFixturePaths());
  return files.map((file, i) => ({ ...file, source: BUILTIN_FIXTURE_FILES[i]! }));
}

/** The absolute paths of the built-in large golden files (Node only). */
export function builtinLargeFixturePaths(): string[] {
  return BUILTIN_LARGE_FIXTURE_FILES.map((file) => fileURLToPath(builtinFixtureUrl(file)));
}

/** Golden files of both kinds, as {@link loadFixtureFiles} sorts them. */
export interface FixtureFiles {
  /** `mlml-golden-v1` files. */
  readonly golden: GoldenFile[];
  /** `mlml-golden-large-v1` files. */
  readonly large: LargeGoldenFile[];
}

/**
 * Reads golden files of either format (`mlml-golden-v1` or `mlml-golden-large-v1`, told apart by
 * their `format`), Node only.
 * @throws {GoldenFormatError} for a malformed file.
 */
export async function loadFixtureFiles(paths: readonly string[]): Promise<FixtureFiles> {
  const golden: GoldenFile[] = [];
  const large: LargeGoldenFile[] = [];
  for (const path of paths) {
    const text = await readBoundedText(path);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new GoldenFormatError(path, '$', `not JSON (${(error as Error).message})`);
    }
    if ((json as { format?: unknown } | null)?.format === LARGE_GOLDEN_FORMAT) {
      large.push(parseLargeGoldenFile(json, path));
    } else golden.push(parseGoldenFile(json, path));
  }
  return { golden, large };
}

/** The built-in large golden files, read from disk (Node only). */
export async function loadBuiltinLargeGoldenFiles(): Promise<LargeGoldenFile[]> {
  const { large } = await loadFixtureFiles(builtinLargeFixturePaths());
  return large.map((file, i) => ({ ...file, source: BUILTIN_LARGE_FIXTURE_FILES[i]! }));
}
