import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

/** The repository root. */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A workspace package that is published to npm. */
export interface PublishedPackage {
  /** Its npm name, e.g. `@mlml/loss`. */
  readonly name: string;
  /** Its version. */
  readonly version: string;
  /** Its directory. */
  readonly dir: string;
  /** Its package.json. */
  readonly manifest: Record<string, unknown>;
}

/** Every package of the workspace (pnpm-workspace.yaml: packages/*, conformance, bench) that is not private. */
export function publishedPackages(): PublishedPackage[] {
  const dirs = [
    ...readdirSync(join(WORKSPACE_ROOT, 'packages')).map((name) => join(WORKSPACE_ROOT, 'packages', name)),
    join(WORKSPACE_ROOT, 'conformance'),
    join(WORKSPACE_ROOT, 'bench'),
  ];
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({
      dir,
      manifest,
      name: String(manifest.name),
      version: String(manifest.version),
    }));
}

/** The file name `pnpm pack` gives a package's tarball. */
export function tarballName(pkg: Pick<PublishedPackage, 'name' | 'version'>): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}

/**
 * Packs every published package with `pnpm pack` (which turns `workspace:*` into versions) into
 * `destination`. Packs what is built: run `pnpm build` first (turbo does, for this package's test).
 * Returns the tarballs' paths.
 * @throws {Error} with pnpm's output when a pack fails.
 */
export async function packAll(destination: string): Promise<string[]> {
  const tarballs: string[] = [];
  for (const pkg of publishedPackages()) {
    const result = await run('pnpm', ['pack', '--pack-destination', destination], { cwd: pkg.dir });
    if (result.code !== 0)
      throw new Error(`pnpm pack failed in ${pkg.dir}:\n${result.stdout}${result.stderr}`);
    const tarball = join(destination, tarballName(pkg));
    if (!existsSync(tarball)) throw new Error(`pnpm pack wrote no ${tarball}:\n${result.stdout}`);
    tarballs.push(tarball);
  }
  return tarballs;
}
