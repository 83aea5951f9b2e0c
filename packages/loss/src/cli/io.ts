/** Where CLI commands write: injectable so tests can capture output. */
export interface CliIo {
  /** A line (or a whole document) to standard output. */
  out(text: string): void;
  /** A line to standard error. */
  err(text: string): void;
}

/** The process's own streams. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
