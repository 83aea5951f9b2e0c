import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, run } from '../src/run.js';
import { publishedPackages } from '../src/workspace.js';

// The package's bin, installed for this package (publint 0.3.25 runs on Node 20).
const publint = join(import.meta.dirname, '..', 'node_modules', 'publint', 'src', 'cli.js');

describe('publint --strict', () => {
  it.each(
    publishedPackages().map((pkg) => [pkg.name, pkg.dir] as const),
  )('%s is clean', async (_name, dir) => {
    const result = await run('node', [publint, '--strict'], { cwd: dir, timeoutMs: 120_000 });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/All good!/);
  });
});
