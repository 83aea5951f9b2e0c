/** A user mistake on the command line or in a file: printed as one line, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
