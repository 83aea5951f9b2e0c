import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { disposeSharedBackends } from '../src/index.js';

const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
const files: string[] = [];

afterAll(async () => {
  for (const file of files) rmSync(file, { force: true });
  await disposeSharedBackends();
});

describe("@mlml/loss README's examples", () => {
  it.each(
    examples.map((code, i) => [i, code] as const),
  )('example %i runs and prints what its comments say', async (i, code) => {
    const file = join(import.meta.dirname, `.package-readme-${i}.tmp.ts`);
    files.push(file);
    writeFileSync(file, code.replaceAll("from '@mlml/loss'", "from '../src/index.js'"));
    const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ file);
      expect(log.mock.calls.map((args) => args.map(String).join(' '))).toEqual(expected);
    } finally {
      log.mockRestore();
    }
  });
});
