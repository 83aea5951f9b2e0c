import { importModules } from '@mlml/loss/cli';
import { DisagreementError } from './agreement.js';
import { renderPlainSummary } from './markdownSnippet.js';
import { ArgumentError, parseCliArgs, USAGE } from './parseArgs.js';
import { declaredReadPasses, type ReadPassDeclaration } from './readPass.js';
import { BenchUsageError, runBench } from './runBench.js';

/**
 * The `pnpm bench` command: parses `argv` (without node and the script), imports the `--import`
 * modules (which register their backends and may export `benchReadPasses`), runs the bench, and
 * returns the exit code: 0 done, 1 an implementation disagreed with the reference (or the run
 * failed), 2 a bad command line, a module that cannot be imported, or a path that cannot be written.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseCliArgs>;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof ArgumentError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let readPasses: Record<string, ReadPassDeclaration>;
  try {
    readPasses = declaredReadPasses(await importModules(options.imports));
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  try {
    const report = await runBench({
      readPasses,
      quick: options.quick,
      ...(options.backends && { backends: options.backends }),
      ...(options.shapes && { shapes: options.shapes }),
      ...(options.peers && { peers: options.peers }),
      ...(options.jsonPath !== undefined && { jsonPath: options.jsonPath }),
      ...(options.svgDir !== undefined && { svgDir: options.svgDir }),
      ...(options.timeMs !== undefined && { timeMs: options.timeMs }),
      ...(options.rounds !== undefined && { rounds: options.rounds }),
      ...(options.python !== undefined && { python: options.python }),
    });
    process.stdout.write(`\nSummary (float32 grid, ${report.date}):\n${renderPlainSummary(report)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DisagreementError) {
      process.stderr.write(`bench stopped: ${error.message}\n`);
      return 1;
    }
    const system = error as NodeJS.ErrnoException;
    if (error instanceof Error && typeof system.code === 'string' && typeof system.syscall === 'string') {
      // A path that cannot be written (--json, --svg): the user's to fix, one line.
      process.stderr.write(`bench: cannot ${system.syscall} ${system.path ?? ''}: ${system.code}\n`);
      return 2;
    }
    // A failing implementation: its message first, then where it failed (the cause's stack).
    const detail =
      error instanceof Error
        ? error.cause instanceof Error
          ? `${error.message}\n${error.cause.stack}`
          : error.stack
        : String(error);
    process.stderr.write(`bench failed: ${detail}\n`);
    return 1;
  }
}
