import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Whether this bench runs from an installed package (under `node_modules`), not from the repository. */
export function isInstalledPackage(moduleUrl: string = import.meta.url): boolean {
  return fileURLToPath(moduleUrl).split(sep).includes('node_modules');
}

/**
 * Where the bench writes by default: `bench/results/` in the repository checkout (the README's
 * charts link there); `./mlml-bench-results/` in the current directory when the bench is an
 * installed package (never inside `node_modules`).
 */
export function defaultResultsDir(moduleUrl: string = import.meta.url, cwd: string = process.cwd()): URL {
  return isInstalledPackage(moduleUrl)
    ? pathToFileURL(`${cwd}${sep}mlml-bench-results${sep}`)
    : new URL('../results/', moduleUrl);
}

/**
 * The directory chart links in `README-snippet.md` are relative to: the repository root in the
 * checkout, the current directory when installed.
 */
export function linkRoot(moduleUrl: string = import.meta.url, cwd: string = process.cwd()): string {
  return isInstalledPackage(moduleUrl) ? cwd : fileURLToPath(new URL('../../', moduleUrl));
}
