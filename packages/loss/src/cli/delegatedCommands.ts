import { CliError } from './CliError.js';
import type { CliIo } from './io.js';
import { loadConformanceCli } from './loadConformance.js';

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

async function delegate(exportName: string, args: readonly string[], io: CliIo): Promise<number> {
  const module = await loadConformanceCli();
  const command = module[exportName];
  if (typeof command !== 'function') {
    throw new CliError(`the installed @mlml/conformance has no ${exportName}(); update it`);
  }
  return (command as Command)(args, io);
}

/** `mlml conformance`: the suite on each backend, from @mlml/conformance. */
export const conformanceCommand: Command = (args, io) => delegate('runConformanceCommand', args, io);

/** `mlml run`: every golden case computed, nothing compared, from @mlml/conformance. */
export const runCommand: Command = (args, io) => delegate('runGoldenCommand', args, io);
