import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_PRIORITIES } from '../src/registerBuiltinBackends.js';

const CHROMIUM = '/usr/bin/chromium';
const outDir = mkdtempSync(join(tmpdir(), 'mlml-browser-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('in a browser, through Vite', () => {
  it('bundles @mlml/loss and runs every built-in backend in headless Chromium, wasm on worker threads where the page is isolated', async () => {
    expect(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)`,
    ).toBe(true);
    await build({
      root: join(import.meta.dirname, 'browser'),
      logLevel: 'warn',
      resolve: { conditions: ['@mlml/source', 'browser', 'module', 'import', 'default'] },
      build: { outDir, emptyOutDir: true, target: 'es2022' },
    });
    // The same page twice: plainly served, and cross-origin isolated (COOP + COEP), where
    // SharedArrayBuffer exists and the wasm backend can start worker threads.
    const plain = await preview({
      root: outDir,
      logLevel: 'warn',
      preview: { port: 0, host: '127.0.0.1' },
      build: { outDir },
    });
    const isolated = await preview({
      root: outDir,
      logLevel: 'warn',
      preview: {
        port: 0,
        host: '127.0.0.1',
        headers: {
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        },
      },
      build: { outDir },
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--enable-features=Vulkan',
        '--use-vulkan=swiftshader',
        '--use-webgpu-adapter=swiftshader',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    try {
      for (const [server, isIsolated] of [
        [plain, false],
        [isolated, true],
      ] as const) {
        const page = await browser.newPage();
        await page.goto(server.resolvedUrls!.local[0]!);
        await page.waitForSelector('#out[data-done="1"]', { timeout: 60_000 });
        const { losses, wasm } = JSON.parse((await page.textContent('#out'))!) as {
          losses: Record<string, unknown>;
          wasm: {
            crossOriginIsolated: boolean;
            threads: number;
            notes: string[];
            agree: boolean;
            positive: boolean;
          };
        };
        expect(Object.keys(losses).sort()).toEqual(Object.keys(BUILTIN_PRIORITIES).sort());
        for (const [name, value] of Object.entries(losses)) {
          expect(typeof value, `${name}: ${String(value)}`).toBe('number');
          expect(Math.abs((value as number) - 0.85)).toBeLessThan(1e-6);
        }
        expect(typeof wasm, String(wasm)).toBe('object');
        expect(wasm.crossOriginIsolated).toBe(isIsolated);
        if (isIsolated) {
          expect(wasm.threads).toBeGreaterThanOrEqual(2);
          expect(wasm.notes).toEqual([]);
        } else {
          // Without isolation: one thread, and the backend says why.
          expect(wasm.threads).toBe(1);
          expect(wasm.notes.join(' ')).toMatch(/cross-origin isolated/);
        }
        expect(wasm.agree).toBe(true);
        expect(wasm.positive).toBe(true);
        await page.close();
      }
    } finally {
      await browser.close();
      for (const server of [plain, isolated]) {
        await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      }
    }
  });
});
