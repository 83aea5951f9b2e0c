import '../registerBuiltinBackends.js';
import { isLossError } from '@mlml/core-spec';
import { disposeSharedBackends } from '../backendCache.js';
import { backendsCommand } from './backendsCommand.js';
import { CliError } from './CliError.js';
import { conformanceCommand, runCommand } from './delegatedCommands.js';
import { type CliIo, processIo } from './io.js';
import { lossCommand } from './lossCommand.js';
import { useSwiftShaderIfNoDriverChosen } from './vulkanDriver.js';

export { SWIFTSHADER_ICD, useSwiftShaderIfNoDriverChosen } from './vulkanDriver.js';

const COMMANDS: Record<string, (args: readonly string[], io: CliIo) => Promise<number>> = {
  backends: backendsCommand,
  conformance: conformanceCommand,
  run: runCommand,
  loss: lossCommand,
};

const USAGE = `usage: mlml <command> [options]
  backends                                   each registered backend: available or not, and why
  conformance [--backend all|NAME[,NAME]] [--fixtures FILE]...
                                             the conformance suite on each backend (exit 1 on failure)
  run --backend NAME --fixtures FILE [--out FILE]
                                             compute every golden case, write mlml-results-v1
  loss --input X.npy --target Y.npy [--reduction R] [--backend B] [--grad-out G.npy]
                                             the loss of NumPy arrays (and the gradient to G.npy)`;

/**
 * Runs the `mlml` CLI. Returns the exit code: 0 success, 1 a failed check (conformance), 2 a user
 * error (bad arguments, malformed file, invalid loss arguments), printed as one line.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  useSwiftShaderIfNoDriverChosen();
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`mlml: unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  try {
    return await command(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`mlml ${name}: ${error.message}`);
      return 2;
    }
    if (isLossError(error)) {
      io.err(`mlml ${name}: ${error.code}: ${error.message.replace(/\n/g, ' ')}`);
      return 2;
    }
    io.err(
      `mlml ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 70;
  } finally {
    await disposeSharedBackends();
  }
}
