import '../registerBuiltinBackends.js';
import { isLossError } from '@mlml/core-spec';
import { disposeSharedBackends } from '../backendCache.js';
import { backendsCommand } from './backendsCommand.js';
import { CliError } from './CliError.js';
import { conformanceCommand, runCommand } from './delegatedCommands.js';
import { extractImports, importModules } from './importModules.js';
import { type CliIo, processIo } from './io.js';
import { lossCommand } from './lossCommand.js';
import { useSwiftShaderIfNoDriverChosen } from './vulkanDriver.js';

export { CliError } from './CliError.js';
export { extractImports, importModules, isPathSpecifier, resolveImport } from './importModules.js';
export { MAX_TEXT_FILE_BYTES, readBoundedFile } from './readBoundedFile.js';
export { MAX_NPY_BYTES, readNpyFile } from './readNpyFile.js';
export { SWIFTSHADER_ICD, useSwiftShaderIfNoDriverChosen } from './vulkanDriver.js';

const COMMANDS: Record<string, (args: readonly string[], io: CliIo) => Promise<number>> = {
  backends: backendsCommand,
  conformance: conformanceCommand,
  run: runCommand,
  loss: lossCommand,
};

const USAGE = `usage: mlml <command> [options] [--import MODULE]...
  backends                                   each registered backend: available or not, and why
  conformance [--backend all|NAME[,NAME]] [--fixtures FILE]... [--browser]
                                             the conformance suite on each backend (exit 1 on failure);
                                             --browser: in headless Chromium, a plain and an isolated page
  run --backend NAME --fixtures FILE [--out FILE] [--browser]
                                             compute every golden case, write mlml-results-v1
  loss --input X.npy --target Y.npy [--reduction R] [--backend B] [--grad-out G.npy]
                                             the loss of NumPy arrays (and the gradient to G.npy)
  --import MODULE (any command, repeatable)  import a module first (a path relative to the current
                                             directory, or a package name): it registers its backends`;

/**
 * Runs the `mlml` CLI. Every `--import MODULE` (anywhere on the line, repeatable) is imported first,
 * in order, so that the module's backends are registered before the command runs. Returns the exit
 * code: 0 success, 1 a failed check (conformance), 2 a user error (bad arguments, a module that
 * cannot be imported, a malformed, unreadable, unwritable or too large file, invalid loss
 * arguments), printed as one line; 70 an internal error (a bug: with its stack).
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  useSwiftShaderIfNoDriverChosen();
  let imports: string[];
  let rest: string[];
  try {
    ({ imports, rest } = extractImports(argv));
  } catch (error) {
    io.err(`mlml: ${(error as Error).message}`);
    return 2;
  }
  const [name, ...args] = rest;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(
      `mlml: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')}; see mlml --help)`,
    );
    return 2;
  }
  try {
    await importModules(imports);
    return await command(args, io);
  } catch (error) {
    return reportError(name, error, io);
  } finally {
    await disposeSharedBackends();
  }
}

/** A Node system error (ENOENT, EISDIR, EACCES...): a problem with the user's files, not a bug. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}

function reportError(name: string, error: unknown, io: CliIo): number {
  if (error instanceof CliError) {
    io.err(`mlml ${name}: ${error.message.replace(/\n/g, ' ')}`);
    return 2;
  }
  if (isLossError(error)) {
    io.err(`mlml ${name}: ${error.code}: ${error.message.replace(/\n/g, ' ')}`);
    return 2;
  }
  if (isSystemError(error)) {
    const where = error.path === undefined ? '' : ` ${error.path}`;
    io.err(`mlml ${name}: cannot ${error.syscall}${where}: ${error.code}`);
    return 2;
  }
  io.err(
    `mlml ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return 70;
}
