// Browser against Node, per backend, at the typical shape (1024x1000, J=5, forward, float32):
// interleaved blocks in one process (a Node block, then the same block in each page), medians of
// the blocks' medians, printed as ratios.
import { join } from 'node:path';
import { launchChromium, serveDirectory } from '@mlml/conformance/browser';
import { createBackend, type ILossBackend } from '@mlml/loss';
import { build } from 'vite';
import { expect, it } from 'vitest';
import { benchProblem, PRESET_SHAPES } from '../src/benchProblem.ts';
import { timeBlock } from './timeBlock.ts';

const ROUNDS = 7;
const CALLS: Readonly<Record<string, number>> = { wasm: 15, 'cpu-ts': 15, webgpu: 3 };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

it('times every backend in Node and in both pages, interleaved', async () => {
  const outDir = join(import.meta.dirname, '..', 'node_modules', '.measure-page');
  await build({
    root: join(import.meta.dirname, 'page'),
    configFile: join(import.meta.dirname, '..', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const servers = {
    plain: await serveDirectory(outDir),
    isolated: await serveDirectory(outDir, { isolated: true }),
  };
  const browser = await launchChromium();
  const typical = benchProblem(PRESET_SHAPES[1]!);
  const node = new Map<string, ILossBackend>();
  try {
    const pages = Object.fromEntries(
      await Promise.all(
        Object.entries(servers).map(async ([kind, server]) => {
          const page = await browser.newPage();
          await page.goto(server.url);
          await page.waitForFunction(() => 'measureReady' in globalThis, undefined, { timeout: 120_000 });
          return [kind, page] as const;
        }),
      ),
    );
    const samples: Record<string, Record<string, number[]>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(CALLS)) {
        const calls = CALLS[name]!;
        if (!node.has(name)) node.set(name, await createBackend(name));
        const backend = node.get(name)!;
        samples[name] ??= { node: [], plain: [], isolated: [] };
        const row = samples[name];
        row.node!.push(await timeBlock(() => backend.forward(typical.input, typical.target), calls));
        for (const [kind, page] of Object.entries(pages)) {
          row[kind]!.push(
            await page.evaluate(
              ([n, c]) =>
                (globalThis as unknown as { timeBlock(n: string, c: number): Promise<number> }).timeBlock(
                  n,
                  c,
                ),
              [name, calls] as const,
            ),
          );
        }
      }
    }
    const lines = [
      'backend  Node (median of 7 blocks)  plain page  isolated page  plain/Node  isolated/Node',
    ];
    for (const [name, row] of Object.entries(samples)) {
      const [n, p, i] = [median(row.node!), median(row.plain!), median(row.isolated!)];
      lines.push(
        `${name.padEnd(8)} ${n.toFixed(3).padStart(10)} ms  ${p.toFixed(3).padStart(10)} ms  ${i.toFixed(3).padStart(10)} ms  ${(p / n).toFixed(2)}x  ${(i / n).toFixed(2)}x`,
      );
      expect(n).toBeGreaterThan(0);
    }
    console.log(lines.join('\n'));
  } finally {
    await browser.close();
    for (const backend of node.values()) await backend.dispose();
    for (const server of Object.values(servers)) await server.close();
  }
});
