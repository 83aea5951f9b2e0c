import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, run } from '../src/run.js';
import { publishedPackages } from '../src/workspace.js';

const publint = join(dirname(createRequire(import.meta.url).resolve('publint/package.json')), 'src', 'cli.js');

describe('publint --strict', () => {
  it.each(publishedPackages().map((pkg) => [pkg.name, pkg.dir] as const))('%s is clean', async (_name, dir) => {
    const result = await run('node', [publint, '--strict'], { cwd: dir, timeoutMs: 120_000 });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/All good!/);
  });
});
