import { spawn } from 'node:child_process';

/** What a finished command gave. */
export interface RunResult {
  /** Exit code (null when killed by a signal, e.g. the timeout). */
  readonly code: number | null;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Working directory. */
  readonly cwd: string;
  /** Extra environment variables. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Killed after this many milliseconds. @default 600000 */
  readonly timeoutMs?: number;
}

/** Runs a command (no shell) and collects its output; never rejects for a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** A command's output for an assertion message: the exit code and both streams' last lines. */
export function describeRun(result: RunResult, lines = 40): string {
  const tail = (text: string) => text.trimEnd().split('\n').slice(-lines).join('\n');
  return `exit ${result.code}\n--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`;
}
