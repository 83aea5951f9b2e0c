import { createBackend, listBackends } from '@mlml/core-spec';
import type { CliIo } from './io.js';
import { parseArgs } from './parseArgs.js';

/**
 * `mlml backends`: each registered backend, whether it initialises here (with its dtypes, threads
 * and notes), and why not.
 */
export async function backendsCommand(args: readonly string[], io: CliIo): Promise<number> {
  parseArgs(args, {});
  const rows: string[][] = [['backend', 'priority', 'status', 'dtypes / reason']];
  for (const { name, priority } of listBackends()) {
    try {
      const backend = await createBackend(name);
      const { dtypes, threads, notes } = backend.capabilities;
      const details = [dtypes.join(', ')];
      if (threads !== undefined && threads > 1) details.push(`${threads} threads`);
      for (const note of notes ?? []) details.push(note);
      rows.push([name, String(priority), 'available', details.join('; ')]);
      await backend.dispose();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      rows.push([name, String(priority), 'unavailable', reason.replace(/\s+/g, ' ')]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows)
    io.out(row.map((cell, c) => (c < row.length - 1 ? cell.padEnd(widths[c]!) : cell)).join('  '));
  return 0;
}
