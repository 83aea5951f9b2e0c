import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Where the bench looks for PyTorch: Debian's python3 with python3-torch. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The server script the runner starts (bench/python/torch_bench.py). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../python/torch_bench.py', import.meta.url));

/** What the Python side says about itself when it starts. */
export interface TorchInfo {
  /** `torch.__version__`. */
  readonly torch: string;
  /** `numpy.__version__`. */
  readonly numpy: string;
  /** `torch.get_num_threads()` before the bench changes it. */
  readonly defaultThreads: number;
  /** The Python version. */
  readonly python: string;
}

type Reply = Record<string, unknown>;

/**
 * A running `torch_bench.py`: one request at a time over JSON lines. Start it with
 * {@link TorchRunner.start}; {@link TorchRunner.close} ends it.
 */
export class TorchRunner {
  /** What the Python side reported when it started. */
  readonly info: TorchInfo;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #readline: Interface;
  readonly #stderr: string[];
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    child: ChildProcessWithoutNullStreams,
    readline: Interface,
    lines: AsyncIterator<string>,
    stderr: string[],
    info: TorchInfo,
  ) {
    this.#child = child;
    this.#readline = readline;
    this.#lines = lines;
    this.#stderr = stderr;
    this.info = info;
  }

  /**
   * Starts the Python side. Resolves to the runner, or to the reason PyTorch is unavailable
   * (no python at that path, no torch module...): an absent PyTorch is not an error.
   */
  static async start(python: string = DEFAULT_PYTHON): Promise<TorchRunner | { unavailable: string }> {
    const stderr: string[] = [];
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(python, ['-u', TORCH_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      return {
        unavailable: `cannot start ${python}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const spawnError = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`cannot start ${python}: ${error.message}`));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 50) stderr.shift();
    });
    const readline = createInterface({ input: child.stdout });
    const lines = readline[Symbol.asyncIterator]();
    const first = await Promise.race([lines.next().then((r) => (r.done ? undefined : r.value)), spawnError]);
    const hello = first === undefined ? undefined : tryParse(first);
    if (hello === undefined || hello.ready !== true) {
      child.kill();
      readline.close();
      const detail = stderr.join('').trim().split('\n').slice(-1)[0];
      const reason =
        typeof first === 'string' && hello === undefined && first.startsWith('cannot start')
          ? first
          : `${python} could not run PyTorch${detail ? `: ${detail}` : ''}`;
      return { unavailable: reason };
    }
    return new TorchRunner(child, readline, lines, stderr, {
      torch: String(hello.torch),
      numpy: String(hello.numpy),
      defaultThreads: Number(hello.default_threads),
      python: String(hello.python),
    });
  }

  /** Sends one request and waits for its reply. @throws {Error} with Python's message on failure. */
  request(message: Reply): Promise<Reply> {
    const next = this.#queue.then(async () => {
      this.#child.stdin.write(`${JSON.stringify(message)}\n`);
      const line = await this.#lines.next();
      if (line.done) {
        throw new Error(`PyTorch subprocess ended unexpectedly: ${this.#stderr.join('').trim().slice(-500)}`);
      }
      const reply = tryParse(line.value);
      if (reply === undefined) throw new Error(`PyTorch subprocess wrote an unreadable line: ${line.value}`);
      if (typeof reply.error === 'string') throw new Error(`PyTorch: ${reply.error}`);
      return reply;
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Asks the Python side to quit and waits for it to end. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
    const timer = setTimeout(() => this.#child.kill(), 5000);
    await exited;
    clearTimeout(timer);
    this.#readline.close();
  }
}

function tryParse(line: string): Reply | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Reply) : undefined;
  } catch {
    return undefined;
  }
}
