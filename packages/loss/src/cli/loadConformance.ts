import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError } from './CliError.js';

/*
 * @mlml/conformance depends on @mlml/loss, so loss cannot depend back on it. Like linters resolving
 * plugins, the CLI finds it in the user's project (the current directory), then beside itself.
 */
const SPECIFIER = '@mlml/conformance/cli';

/** The conformance package's CLI module, from the current project or beside this package. */
export async function loadConformanceCli(): Promise<Record<string, unknown>> {
  const bases = [join(process.cwd(), 'package.json'), import.meta.url];
  for (const base of bases) {
    try {
      const resolved = createRequire(base).resolve(SPECIFIER);
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new CliError(
    'this command needs @mlml/conformance: install it in your project (npm i -D @mlml/conformance)',
  );
}
