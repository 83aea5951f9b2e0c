import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './BenchReport.js';
import { type ChartName, chartSpecs, renderSvg } from './charts.js';
import { renderMarkdownSnippet } from './markdownSnippet.js';
import { linkRoot } from './resultsLocation.js';

/** Where {@link writeOutputs} writes. */
export interface OutputPaths {
  /** The JSON report; null for none. */
  readonly jsonPath: string | URL | null;
  /** Directory of the SVG charts and `README-snippet.md`; undefined: the JSON's directory; null: none. */
  readonly svgDir?: string | URL | null | undefined;
}

function toPath(path: string | URL): string {
  return typeof path === 'string' ? resolve(path) : fileURLToPath(path);
}

/**
 * Writes the JSON report, the SVG charts (`speedup.svg`, `sweep-classes.svg`, `sweep-targets.svg`,
 * those with data) and `README-snippet.md` (a markdown table with the chart links, relative to the
 * repository root). Returns the files written.
 */
export async function writeOutputs(report: BenchReport, paths: OutputPaths): Promise<string[]> {
  const written: string[] = [];
  const jsonFile = paths.jsonPath === null ? null : toPath(paths.jsonPath);
  if (jsonFile !== null) {
    await mkdir(dirname(jsonFile), { recursive: true });
    await writeFile(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    written.push(jsonFile);
  }
  const svgDir =
    paths.svgDir === null
      ? null
      : paths.svgDir !== undefined
        ? toPath(paths.svgDir)
        : jsonFile && dirname(jsonFile);
  if (svgDir === null) return written;
  await mkdir(svgDir, { recursive: true });
  const links: Partial<Record<ChartName, string>> = {};
  for (const [name, spec] of Object.entries(chartSpecs(report)) as [ChartName, NonNullable<unknown>][]) {
    const file = join(svgDir, `${name}.svg`);
    await writeFile(file, await renderSvg(spec as Parameters<typeof renderSvg>[0]));
    links[name] = relative(linkRoot(), file).split('\\').join('/');
    written.push(file);
  }
  const snippet = join(svgDir, 'README-snippet.md');
  await writeFile(snippet, renderMarkdownSnippet(report, links));
  written.push(snippet);
  return written;
}
