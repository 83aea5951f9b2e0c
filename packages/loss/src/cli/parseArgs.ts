import { CliError } from './CliError.js';

/** Parsed options: each `--flag value` once, or repeated where allowed. */
export type ParsedArgs = Map<string, string[]>;

/**
 * Parses `--name value` pairs (and `--name=value`). Unknown flags, missing values and repeats of a
 * single-valued flag are {@link CliError}s.
 */
export function parseArgs(
  args: readonly string[],
  spec: {
    readonly single?: readonly string[];
    readonly repeated?: readonly string[];
    readonly switches?: readonly string[];
  },
): ParsedArgs {
  const parsed: ParsedArgs = new Map();
  const known = new Set([...(spec.single ?? []), ...(spec.repeated ?? []), ...(spec.switches ?? [])]);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new CliError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!known.has(name))
      throw new CliError(`unknown option --${name} (options: ${[...known].map((k) => `--${k}`).join(', ')})`);
    let value: string;
    if (spec.switches?.includes(name)) {
      value = 'true';
    } else if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new CliError(`option --${name} needs a value`);
      value = next;
      i++;
    }
    const values = parsed.get(name) ?? [];
    if (values.length > 0 && !spec.repeated?.includes(name))
      throw new CliError(`option --${name} given twice`);
    values.push(value);
    parsed.set(name, values);
  }
  return parsed;
}

/** The single value of a flag, or a {@link CliError} if it is required and missing. */
export function required(parsed: ParsedArgs, name: string): string {
  const value = parsed.get(name)?.[0];
  if (value === undefined) throw new CliError(`missing required option --${name}`);
  return value;
}
