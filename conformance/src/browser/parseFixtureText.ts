import type { GoldenFile } from '../GoldenFile.js';
import { LARGE_GOLDEN_FORMAT, type LargeGoldenFile } from '../LargeGoldenFile.js';
import { GoldenFormatError, parseGoldenFile } from '../parseGoldenFile.js';
import { parseLargeGoldenFile } from '../parseLargeGoldenFile.js';

/** A parsed golden file of either format, as the page fetched it. */
export type ParsedFixture =
  | { readonly kind: 'golden'; readonly file: GoldenFile }
  | { readonly kind: 'large'; readonly file: LargeGoldenFile };

/**
 * Parses a golden file's text by its `format`: `mlml-golden-large-v1` (seeded problems) or
 * `mlml-golden-v1` (everything else, whose parser reports a wrong format). No Node API.
 * @throws {GoldenFormatError} for a malformed file, naming it.
 */
export function parseFixtureText(text: string, source: string): ParsedFixture {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new GoldenFormatError(source, '$', `not JSON (${(error as Error).message})`);
  }
  if ((json as { format?: unknown } | null)?.format === LARGE_GOLDEN_FORMAT) {
    return {
      kind: 'large',
      file: parseLargeGoldenFile(json as Parameters<typeof parseLargeGoldenFile>[0], source),
    };
  }
  return { kind: 'golden', file: parseGoldenFile(json as Parameters<typeof parseGoldenFile>[0], source) };
}
