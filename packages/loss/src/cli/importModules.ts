import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './CliError.js';

/** Whether a `--import` value names a file (`./x.js`, `../x.js`, `/abs/x.js`, `file:` URL) rather than a package. */
export function isPathSpecifier(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('file:') ||
    isAbsolute(specifier) ||
    /^[A-Za-z]:[\\/]/.test(specifier)
  );
}

/**
 * The URL a `--import` value loads: a path is taken relative to `cwd`; a package name is resolved
 * from `cwd` as that project's own code would resolve it (its `node_modules`), then from this
 * package's location.
 * @throws {CliError} when a package cannot be found.
 */
export function resolveImport(specifier: string, cwd: string = process.cwd()): string {
  if (specifier.startsWith('file:')) return specifier;
  if (isPathSpecifier(specifier)) return pathToFileURL(resolve(cwd, specifier)).href;
  const bases = [join(cwd, 'package.json'), import.meta.url];
  for (const base of bases) {
    try {
      return pathToFileURL(createRequire(base).resolve(specifier)).href;
    } catch {
      // Not found from this base (or exported for `import` only): try the next one.
    }
  }
  // A package exported for `import` only is not found by require.resolve.
  const found = resolveEsmPackage(specifier, cwd);
  return found === undefined ? specifier : pathToFileURL(found).href;
}

/** Conditions an `import` in Node matches, in the order of preference used to pick a target. */
const CONDITIONS = ['import', 'node', 'default'];

function exportTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    for (const item of entry) {
      const target = exportTarget(item);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) return undefined;
  for (const [condition, value] of Object.entries(entry)) {
    if (CONDITIONS.includes(condition)) {
      const target = exportTarget(value);
      if (target !== undefined) return target;
    }
  }
  return undefined;
}

/**
 * Finds `name[/subpath]` in the `node_modules` of `cwd` or a parent, the way Node's `import` does
 * for a package whose `exports` serve `import` only (exact subpaths and conditions; no patterns).
 */
function resolveEsmPackage(specifier: string, cwd: string): string | undefined {
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = ['.', ...parts.slice(nameLength)].join('/');
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const root = join(dir, 'node_modules', name);
    const manifest = join(root, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown; main?: string };
      const exportsField = pkg.exports;
      const map =
        typeof exportsField === 'object' &&
        exportsField !== null &&
        !Array.isArray(exportsField) &&
        Object.keys(exportsField).some((key) => key.startsWith('.'))
          ? (exportsField as Record<string, unknown>)
          : { '.': exportsField };
      const target =
        exportsField === undefined
          ? subpath === '.'
            ? (pkg.main ?? 'index.js')
            : subpath
          : exportTarget(map[subpath]);
      return target === undefined ? undefined : join(root, target);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Imports each module in order, for its side effects (it registers its backends with
 * `registerBackend`). Returns the modules' namespaces, in order.
 * @throws {CliError} naming the module and why it failed (not found, or threw while loading).
 */
export async function importModules(
  specifiers: readonly string[],
  cwd: string = process.cwd(),
): Promise<Record<string, unknown>[]> {
  const modules: Record<string, unknown>[] = [];
  for (const specifier of specifiers) {
    if (specifier.trim() === '') throw new CliError('--import needs a module path or package name');
    try {
      modules.push((await import(resolveImport(specifier, cwd))) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof CliError) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new CliError(`--import ${specifier}: ${reason}`);
    }
  }
  return modules;
}

/**
 * Takes every `--import MODULE` / `--import=MODULE` out of a command line, wherever it stands.
 * Returns the modules in order and the remaining arguments.
 * @throws {CliError} for `--import` without a value.
 */
export function extractImports(argv: readonly string[]): { imports: string[]; rest: string[] } {
  const imports: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--import') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new CliError('option --import needs a value');
      imports.push(value);
      i++;
    } else if (arg.startsWith('--import=')) {
      const value = arg.slice('--import='.length);
      if (value === '') throw new CliError('option --import needs a value');
      imports.push(value);
    } else {
      rest.push(arg);
    }
  }
  return { imports, rest };
}
