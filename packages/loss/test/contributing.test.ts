import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listBackends, unregisterBackend } from '@mlml/core-spec';
import { afterAll, describe, expect, it } from 'vitest';
import { multilabelMarginLoss, multilabelMarginLossWithGrad, toNested } from '../src/index.js';

const guide = readFileSync(join(import.meta.dirname, '../../../CONTRIBUTING.md'), 'utf8');
const snippet = /## Write a backend[\s\S]*?```ts\n([\s\S]*?)```/.exec(guide)?.[1];
const file = join(import.meta.dirname, '.contributing-backend.tmp.ts');

afterAll(() => {
  rmSync(file, { force: true });
  if (listBackends().some((b) => b.name === 'mine')) unregisterBackend('mine');
});

describe("CONTRIBUTING.md's backend snippet", () => {
  it('defines everything it uses, registers a working backend, and exports its factory', async () => {
    expect(snippet, 'a ```ts block under ## Write a backend').toBeDefined();
    writeFileSync(file, snippet!);
    const module = (await import(/* @vite-ignore */ file)) as { createMyBackend: () => { name: string } };
    expect(module.createMyBackend().name).toBe('mine');
    expect(listBackends().find((b) => b.name === 'mine')).toMatchObject({ priority: 5 });
    const loss = await multilabelMarginLoss([[0.1, 0.2, 0.4, 0.8]], [[3, 0, -1, 1]], { backend: 'mine' });
    expect([loss.backend, loss.data[0]?.toFixed(6)]).toEqual(['mine', '0.850000']);
    const { gradInput } = await multilabelMarginLossWithGrad(
      [[0.1, 0.2, 0.4, 0.8]],
      [[3, 0, -1, 1]],
      undefined,
      {
        backend: 'mine',
      },
    );
    expect(toNested(gradInput)).toEqual([[-0.5, 0.5, 0.5, -0.5]]);
  });
});
