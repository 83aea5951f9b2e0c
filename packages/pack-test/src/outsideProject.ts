import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeRun, run } from './run.js';
import { WORKSPACE_ROOT } from './workspace.js';

/**
 * Installs tarballs (and registry packages) into a project directory with npm, as a user outside
 * the workspace would: a fresh `package.json` is written unless `keepManifest`.
 * @throws {Error} when the directory is inside the workspace, or npm fails (with its output).
 */
export async function installInto(
  dir: string,
  packages: readonly string[],
  options: { readonly keepManifest?: boolean } = {},
): Promise<void> {
  if (dir.startsWith(WORKSPACE_ROOT)) throw new Error(`${dir} is inside the workspace ${WORKSPACE_ROOT}`);
  if (options.keepManifest !== true) {
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'mlml-outside-project', private: true, type: 'module' }, null, 2)}\n`,
    );
  }
  const result = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock', ...packages],
    { cwd: dir, timeoutMs: 900_000 },
  );
  if (result.code !== 0) throw new Error(`npm install failed in ${dir}\n${describeRun(result)}`);
}
