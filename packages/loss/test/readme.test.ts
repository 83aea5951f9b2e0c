import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { disposeSharedBackends } from '../src/index.js';

const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
const example = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
const file = join(import.meta.dirname, '.readme-example.tmp.ts');

afterAll(async () => {
  rmSync(file, { force: true });
  await disposeSharedBackends();
});

describe('README usage example', () => {
  it('runs as written and prints what its comments say', async () => {
    expect(example, 'README.md has a ```ts block under ## Usage').toBeDefined();
    expect(example!.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(10);
    writeFileSync(file, example!.replace("from '@mlml/loss'", "from '../src/index.js'"));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ file);
      expect(log.mock.calls).toEqual([
        ['0.850000', 'wasm'],
        ['0.850000', [[-0.5, 0.5, 0.5, -0.5]]],
      ]);
    } finally {
      log.mockRestore();
    }
  });
});
