import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { ArgumentError, parseCliArgs } from '../src/parseArgs.js';

describe('parseCliArgs', () => {
  it('reads every flag', () => {
    expect(
      parseCliArgs([
        '--quick',
        '--backends',
        'wasm,cpu-ts',
        '--shapes=typical,sweep-classes',
        '--peers',
        'torch',
        '--json',
        'out.json',
        '--svg',
        'charts',
        '--time',
        '250',
        '--rounds',
        '4',
        '--import',
        './a.js',
        '--import=my-backend',
      ]),
    ).toEqual({
      imports: ['./a.js', 'my-backend'],
      help: false,
      quick: true,
      backends: ['wasm', 'cpu-ts'],
      shapes: ['typical', 'sweep-classes'],
      peers: ['torch'],
      jsonPath: 'out.json',
      svgDir: 'charts',
      timeMs: 250,
      rounds: 4,
    });
    expect(parseCliArgs([])).toEqual({ help: false, quick: false, imports: [] });
    expect(() => parseCliArgs(['--import='])).toThrow(/--import needs a module/);
    expect(parseCliArgs(['--peers', 'none']).peers).toEqual([]);
  });

  it.each([
    [['--fast'], 'unknown flag --fast'],
    [['--time'], '--time needs a value'],
    [['--time', 'soon'], "--time needs a positive number of milliseconds, got 'soon'"],
    [['--time=-5'], '--time needs a positive number'],
    [['--time', '-5'], "--time needs a value; a value starting with '-' is written --time=VALUE"],
    [['--rounds', '0'], "--rounds needs a whole number from 1 to 100, got '0'"],
    [['--rounds', '2.5'], "--rounds needs a whole number from 1 to 100, got '2.5'"],
    [['--peers', 'jax'], "--peers: unknown peer 'jax' (known: torch, tfjs-cpu, tfjs-wasm, none)"],
    [['--shapes', 'huge'], "--shapes: unknown shape 'huge'"],
    [['--backends', ','], '--backends needs a comma-separated list'],
    [['typical'], "unexpected argument 'typical'"],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(ArgumentError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('main', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exits with 2 and one line on stderr for a bad flag or an unknown backend', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['--bogus'])).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toBe('bench: unknown flag --bogus (see --help)\n');
    expect(await main(['--backends', 'nope', '--peers', 'none', '--json', '/dev/null'])).toBe(2);
    expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(
      /^bench: unknown backend 'nope' \(registered: .*reference\)\n$/,
    );
  });

  it('prints the usage for --help', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['--help'])).toBe(0);
    expect(String(stdout.mock.calls[0]?.[0])).toContain('--backends LIST');
  });
});
