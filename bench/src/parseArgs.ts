import { parseArgs } from 'node:util';
import { PEER_NAMES, type PeerName } from './runBench.js';
import { SHAPE_SELECTORS } from './shapes.js';

/** A bad command line: the CLI prints the message and exits with code 2. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

/** What the command line asked for. */
export interface CliOptions {
  /** `--help`. */
  readonly help: boolean;
  /** `--quick`. */
  readonly quick: boolean;
  /** `--backends a,b` (undefined: all registered). */
  readonly backends?: readonly string[];
  /** `--shapes a,b` (undefined: the default set). */
  readonly shapes?: readonly string[];
  /** `--peers a,b` or `--peers none` (undefined: all). */
  readonly peers?: readonly PeerName[];
  /** `--json FILE`. */
  readonly jsonPath?: string;
  /** `--svg DIR`. */
  readonly svgDir?: string;
  /** `--time MS`. */
  readonly timeMs?: number;
  /** `--rounds N`. */
  readonly rounds?: number;
  /** `--python PATH`. */
  readonly python?: string;
  /** `--import MODULE`, repeatable, in order (empty: none). */
  readonly imports: readonly string[];
}

/** The `--help` text. */
export const USAGE = `usage: pnpm bench [options]

  --quick             a short run (small and typical shapes, short sweeps, 60 ms per task): under a minute
  --backends LIST     comma-separated backends (default: every backend registered by @mlml/loss);
                      'reference' adds the slow reference loops of @mlml/core-spec
  --shapes LIST       comma-separated: ${SHAPE_SELECTORS.join(', ')}
  --peers LIST        comma-separated: ${PEER_NAMES.join(', ')}, or 'none' (default: all)
  --time MS           time budget per task in ms, all rounds together (default 400; quick: 60)
  --rounds N          rounds per case: every task of a case runs N times in turn, with MS/N each,
                      and a row's median is the median of its rounds' (default 3; quick: 1)
  --json FILE         the JSON report (default bench/results/latest.json in the repository, or
                      ./mlml-bench-results/latest.json when installed; quick: quick/latest.json there)
  --import MODULE     import a module first (a path relative to the current directory, or a package
                      name); it registers its backends, and may export benchReadPasses (repeatable)
  --svg DIR           directory of the SVG charts and README-snippet.md (default: the JSON's directory)
  --python PATH       the Python with torch (default /usr/bin/python3)
  --help              this text`;

function list(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) throw new ArgumentError(`${flag} needs a comma-separated list, got '${value}'`);
  return items;
}

/**
 * Parses the bench's command line.
 * @throws {ArgumentError} for an unknown flag, a missing value, or a value that is not allowed,
 *   with a message naming the flag and what is accepted.
 */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) throw new ArgumentError(`unknown flag ${unknown[1]} (see --help)`);
    const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
    if (missing)
      throw new ArgumentError(`${missing[1]!.split(',').pop()!.trim()} needs a value (see --help)`);
    const ambiguous = /Option '([^']+?)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const flag = ambiguous[1]!.split(',').pop()!.trim();
      throw new ArgumentError(`${flag} needs a value; a value starting with '-' is written ${flag}=VALUE`);
    }
    const positional = /Unexpected argument '([^']+)'/.exec(message);
    if (positional)
      throw new ArgumentError(`unexpected argument '${positional[1]}' (flags start with --; see --help)`);
    throw new ArgumentError(`${message} (see --help)`);
  }
  const { values } = parsed;
  const shapes = list('--shapes', values.shapes);
  for (const shape of shapes ?? []) {
    if (!(SHAPE_SELECTORS as readonly string[]).includes(shape)) {
      throw new ArgumentError(`--shapes: unknown shape '${shape}' (known: ${SHAPE_SELECTORS.join(', ')})`);
    }
  }
  const peerList = list('--peers', values.peers);
  let peers: PeerName[] | undefined;
  if (peerList !== undefined) {
    peers = [];
    for (const peer of peerList) {
      if (peer === 'none') continue;
      if (!(PEER_NAMES as readonly string[]).includes(peer)) {
        throw new ArgumentError(`--peers: unknown peer '${peer}' (known: ${PEER_NAMES.join(', ')}, none)`);
      }
      peers.push(peer as PeerName);
    }
  }
  let timeMs: number | undefined;
  if (values.time !== undefined) {
    timeMs = Number(values.time);
    if (!(Number.isFinite(timeMs) && timeMs > 0) || values.time.trim() === '') {
      throw new ArgumentError(`--time needs a positive number of milliseconds, got '${values.time}'`);
    }
  }
  let rounds: number | undefined;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 100) || values.rounds.trim() === '') {
      throw new ArgumentError(`--rounds needs a whole number from 1 to 100, got '${values.rounds}'`);
    }
  }
  const backends = list('--backends', values.backends);
  const imports = values.import ?? [];
  if (imports.some((module) => module.trim() === ''))
    throw new ArgumentError('--import needs a module path or package name');
  return {
    imports,
    help: values.help ?? false,
    quick: values.quick ?? false,
    ...(backends && { backends }),
    ...(shapes && { shapes }),
    ...(peers && { peers }),
    ...(values.json !== undefined && { jsonPath: values.json }),
    ...(values.svg !== undefined && { svgDir: values.svg }),
    ...(timeMs !== undefined && { timeMs }),
    ...(rounds !== undefined && { rounds }),
    ...(values.python !== undefined && { python: values.python }),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      backends: { type: 'string' },
      shapes: { type: 'string' },
      peers: { type: 'string' },
      json: { type: 'string' },
      svg: { type: 'string' },
      time: { type: 'string' },
      rounds: { type: 'string' },
      python: { type: 'string' },
      import: { type: 'string', multiple: true },
    },
  });
}
