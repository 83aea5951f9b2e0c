import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const outDir = mkdtempSync(join(tmpdir(), 'mlml-browser-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('in a browser, through Vite', () => {
  it('bundles @mlml/loss and runs every built-in backend in headless Chromium', async () => {
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
    const server = await preview({
      root: outDir,
      logLevel: 'warn',
      preview: { port: 0, host: '127.0.0.1' },
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
      const page = await browser.newPage();
      await page.goto(server.resolvedUrls!.local[0]!);
      await page.waitForSelector('#out[data-done="1"]', { timeout: 60_000 });
      const results = JSON.parse((await page.textContent('#out'))!) as Record<string, unknown>;
      expect(Object.keys(results).sort()).toEqual(['cpu-ts', 'wasm', 'webgpu']);
      for (const [name, value] of Object.entries(results)) {
        expect(typeof value, `${name}: ${String(value)}`).toBe('number');
        expect(Math.abs((value as number) - 0.85)).toBeLessThan(1e-6);
      }
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    }
  });
});
