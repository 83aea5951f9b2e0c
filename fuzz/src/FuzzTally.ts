/** What the fuzzer counts for one backend. */
export class FuzzTally {
  /** Calls made (shrinking runs included). */
  calls = 0;
  /** Calls that resolved with results as typed arrays. */
  results = 0;
  /** Calls that resolved with GPU-resident results (`outputLocation: 'gpu-buffer'`). */
  gpuResults = 0;
  /** Rejections, by `LossError` code (anything else counts under its constructor's name). */
  readonly rejections = new Map<string, number>();
  /** Findings, by kind. */
  readonly findings = new Map<string, number>();

  /** Counts a rejection with `code`. */
  reject(code: string): void {
    this.rejections.set(code, (this.rejections.get(code) ?? 0) + 1);
  }

  /** Counts a finding of `kind`. */
  find(kind: string): void {
    this.findings.set(kind, (this.findings.get(kind) ?? 0) + 1);
  }

  /** One line: `calls 240, results 120, rejections INVALID_DTYPE 30 ..., findings none`. */
  summary(): string {
    const list = (map: Map<string, number>) =>
      map.size === 0
        ? 'none'
        : [...map]
            .sort((a, b) => b[1] - a[1])
            .map(([key, count]) => `${key} ${count}`)
            .join(', ');
    const gpu = this.gpuResults > 0 ? ` (+${this.gpuResults} GPU-resident)` : '';
    return `calls ${this.calls}, results ${this.results}${gpu}, rejections ${[...this.rejections.values()].reduce((a, b) => a + b, 0)}: ${list(this.rejections)}; findings: ${list(this.findings)}`;
  }
}
