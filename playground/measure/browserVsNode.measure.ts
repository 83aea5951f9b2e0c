// Browser against Node, per backend: the typical shape (1024x1000, J=5) forward on every backend and
// the big batch (65536x128, J=3) forward+backward on the CPU backends, float32, in interleaved
// blocks in one process (a Node block, then the same block in each page); medians of the blocks.
import { join } from 'node:path';
import { launchChromium, serveDirectory } from '@mlml/conformance/browser';
import { createBackend, type ILossBackend } from '@mlml/loss';
import { build } from 'vite';
import { expect, it } from 'vitest';
import { MEASURE_CASES, timeCase } from './measureCases.ts';

const ROUNDS = 7;
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
      for (const measureCase of MEASURE_CASES) {
        for (const name of Object.keys(measureCase.calls)) {
          if (!node.has(name)) node.set(name, await createBackend(name));
          const key = `${measureCase.id} ${name}`;
          samples[key] ??= { node: [], plain: [], isolated: [] };
          const row = samples[key];
          row.node!.push(await timeCase(node.get(name)!, measureCase));
          for (const [kind, page] of Object.entries(pages)) {
            row[kind]!.push(
              await page.evaluate(
                ([n, c]) =>
                  (globalThis as unknown as { timeBlock(n: string, c: string): Promise<number> }).timeBlock(
                    n,
                    c,
                  ),
                [name, measureCase.id] as const,
              ),
            );
          }
        }
      }
    }
    const lines = [
      `case / backend (medians of ${ROUNDS} interleaved blocks)  Node  plain page  isolated page  plain/Node  isolated/Node`,
    ];
    for (const [key, row] of Object.entries(samples)) {
      const [n, p, i] = [median(row.node!), median(row.plain!), median(row.isolated!)];
      lines.push(
        `${key.padEnd(28)} ${n.toFixed(3).padStart(10)} ms ${p.toFixed(3).padStart(10)} ms ${i.toFixed(3).padStart(10)} ms  ${(p / n).toFixed(2)}x  ${(i / n).toFixed(2)}x`,
      );
      // Each block's own ratio (the blocks of one round ran back to back), as a range.
      const ratios = (kind: string) => row[kind]!.map((t, r) => t / row.node![r]!).sort((a, b) => a - b);
      const range = (kind: string) => `${ratios(kind)[0]!.toFixed(2)}-${ratios(kind).at(-1)!.toFixed(2)}x`;
      lines.push(`${''.padEnd(28)} per-round ratios: plain ${range('plain')}, isolated ${range('isolated')}`);
      expect(n).toBeGreaterThan(0);
    }
    console.log(lines.join('\n'));
  } finally {
    await browser.close();
    for (const backend of node.values()) await backend.dispose();
    for (const server of Object.values(servers)) await server.close();
  }
});
