import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, type StaticServer, serveDirectory } from '@mlml/conformance/browser';
import { isLossError, multilabelMarginLoss, multilabelMarginLossWithGrad, toNested } from '@mlml/loss';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyBytes } from './npyBytes.ts';

const root = join(import.meta.dirname, '..');
/** Screenshots of every step (ignored by git). */
const SCREENSHOTS = join(root, 'screenshots');
const outDir = mkdtempSync(join(tmpdir(), 'mlml-playground-'));
let servers: { isolated: StaticServer; plain: StaticServer };
let browser: Browser;
/** The playground in a cross-origin isolated page (most tests). */
let page: Page;

/** What the main-thread check measures for one backend. */
interface MainThreadRow {
  backend: string;
  callMs: number;
  longestTaskMs: number;
  longestGapMs: number;
}
/** What the main-thread check measured, per backend, in the isolated page. */
let mainThread: MainThreadRow[] = [];
/**
 * The longest main-thread task allowed during a big wasm call: the issue's "nothing freezes"
 * (the browser's long-task threshold is 50 ms; copying 64 MB in and 32 MB out takes some of it).
 */
const MAX_MAIN_THREAD_TASK_MS = 100;

/** The message @mlml/loss itself gives for these arguments, computed here in Node. */
async function libraryError(input: unknown, target: unknown): Promise<string> {
  try {
    await multilabelMarginLoss(input as number[][], target as number[][], { backend: 'cpu-ts' });
  } catch (error) {
    if (isLossError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('the library accepted arguments the test expected it to reject');
}

async function compute(
  input: string,
  target: string,
  options: { backend?: string; reduction?: string } = {},
) {
  await page.click('#tab-compute');
  await page.fill('#input', input);
  await page.fill('#target', target);
  await page.selectOption('#backend', options.backend ?? 'auto');
  await page.selectOption('#reduction', options.reduction ?? 'mean');
  await page.evaluate(() => delete document.getElementById('result')!.dataset.state);
  await page.click('#compute-button');
  await page.waitForSelector('#result[data-state="done"], #result[data-state="error"]', {
    state: 'attached',
  });
}

/** Opens the built playground from a server and waits until it has probed its backends. */
async function openPlayground(server: StaticServer): Promise<Page> {
  const opened = await browser.newPage({ viewport: { width: 1040, height: 900 } });
  opened.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await opened.goto(server.url);
  await opened.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
  return opened;
}

/** Clicks "Check the main thread" on the Compare tab and reads its table. */
async function checkMainThread(on: Page): Promise<MainThreadRow[]> {
  await on.click('#tab-compare');
  await on.click('#main-thread-run');
  await on.waitForSelector(
    '#main-thread-output[data-state="done"], #main-thread-output[data-state="error"]',
    {
      state: 'attached',
      timeout: 200_000,
    },
  );
  expect(await on.getAttribute('#main-thread-output', 'data-state')).toBe('done');
  return on.locator('#main-thread-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      backend: (tr as HTMLElement).dataset.backend!,
      callMs: Number((tr as HTMLElement).dataset.callMs),
      longestTaskMs: Number((tr as HTMLElement).dataset.longestTaskMs),
      longestGapMs: Number((tr as HTMLElement).dataset.longestGapMs),
    })),
  );
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  servers = {
    isolated: await serveDirectory(outDir, { isolated: true }),
    plain: await serveDirectory(outDir),
  };
  browser = await launchChromium();
  page = await openPlayground(servers.isolated);
});

afterAll(async () => {
  await browser?.close();
  await servers?.isolated.close();
  await servers?.plain.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the playground, built and served cross-origin isolated on 127.0.0.1, in headless Chromium', () => {
  it('lists every built-in backend as available, wasm on worker threads', async () => {
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    for (const name of ['wasm', 'webgpu', 'cpu-ts']) {
      const item = page.locator(`#backends li[data-backend="${name}"]`);
      expect(await item.getAttribute('class'), (await item.textContent()) ?? '').toBe('available');
    }
    expect(await page.textContent('#backends li[data-backend="wasm"]')).toMatch(/[2-9] threads/);
    await page.screenshot({ path: join(SCREENSHOTS, 'backends.png') });
  });

  it.each([
    'auto',
    'wasm',
    'webgpu',
    'cpu-ts',
  ])('computes the seed example on %s: loss 0.85, its backend and time, the per-sample loss, the gradient heatmap (blue at the targets 3 and 0, red at 1 and 2)', async (backend) => {
    await compute('[[0.1, 0.2, 0.4, 0.8]]', '[[3, 0, -1, 1]]', { backend });
    expect(await page.getAttribute('#result', 'data-state')).toBe('done');
    expect(Math.abs(Number(await page.textContent('#loss')) - 0.85)).toBeLessThan(1e-6);
    const ran = await page.getAttribute('#ran', 'data-backend');
    expect(ran).toBe(backend === 'auto' ? 'wasm' : backend);
    expect(await page.textContent('#ran')).toMatch(/ in [\d.]+ (µs|ms|s) /);
    expect(await page.locator('#per-sample li').allTextContents()).toEqual(['0.85']);
    const { gradInput } = await multilabelMarginLossWithGrad(
      [[0.1, 0.2, 0.4, 0.8]],
      [[3, 0, -1, 1]],
      undefined,
      {
        backend: 'cpu-ts',
      },
    );
    expect(JSON.parse((await page.textContent('#gradient-values'))!)).toEqual(toNested(gradInput));
    // The gradient's four cells: negative (blue) at the targets 3 and 0, positive (red) at 1 and 2.
    const colors = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#gradient')!;
      const context = canvas.getContext('2d')!;
      const cell = canvas.width / 4;
      return [0, 1, 2, 3].map((i) =>
        Array.from(context.getImageData(i * cell + cell / 2, cell / 2, 1, 1).data),
      );
    });
    const sign = ([r, , b]: number[]) => Math.sign(r! - b!);
    expect(colors.map(sign)).toEqual([-1, 1, 1, -1]);
    await page.screenshot({ path: join(SCREENSHOTS, `seed-${backend}.png`), fullPage: true });
  });

  it("shows the library's own error message beside the field it is about", async () => {
    await compute('[[0.1, 0.2, 0.4, 0.8]]', '[[3, 0, 4, 1]]');
    expect(await page.getAttribute('#result', 'data-state')).toBe('error');
    const outOfRange = await libraryError([[0.1, 0.2, 0.4, 0.8]], [[3, 0, 4, 1]]);
    expect(outOfRange).toMatch(/^TARGET_OUT_OF_RANGE: .*argument #2 'target' is out of range/);
    expect(await page.textContent('#target-error')).toBe(outOfRange);
    expect(await page.textContent('#input-error')).toBe('');
    await page.screenshot({ path: join(SCREENSHOTS, 'error-target.png'), fullPage: true });

    await compute('[[0.1, 0.2], [0.3]]', '[[1, -1], [0, -1]]');
    expect(await page.textContent('#input-error')).toBe(
      await libraryError(
        [[0.1, 0.2], [0.3]],
        [
          [1, -1],
          [0, -1],
        ],
      ),
    );

    await compute('[[0.1, 0.2,', '[[1, -1]]');
    expect(await page.textContent('#input-error')).toMatch(/^not JSON: /);
  });

  it('computes the loss of arrays loaded from .npy files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlml-npy-'));
    const input = new Float32Array([0.1, 0.2, 0.4, 0.8, 0.5, -1, 2, 0]);
    const target = new BigInt64Array([3n, 0n, -1n, 1n, 2n, -1n, 0n, 0n]);
    writeFileSync(join(dir, 'x.npy'), npyBytes('<f4', [2, 4], input));
    writeFileSync(join(dir, 'y.npy'), npyBytes('<i8', [2, 4], target));
    await page.click('#tab-compute');
    await page.setInputFiles('#input-npy', join(dir, 'x.npy'));
    await page.setInputFiles('#target-npy', join(dir, 'y.npy'));
    await page.waitForSelector('#target-loaded:has-text("y.npy")');
    expect(await page.textContent('#input-loaded')).toBe('x.npy: shape [2, 4], Float32Array');
    await page.selectOption('#reduction', 'sum');
    await page.evaluate(() => delete document.getElementById('result')!.dataset.state);
    await page.click('#compute-button');
    await page.waitForSelector('#result[data-state="done"]', { state: 'attached' });
    const expected = await multilabelMarginLoss(
      { data: input, shape: [2, 4] },
      { data: target, shape: [2, 4] },
      {
        reduction: 'sum',
        backend: 'cpu-ts',
      },
    );
    expect(Math.abs(Number(await page.textContent('#loss')) - expected.data[0]!)).toBeLessThan(1e-6);
    await page.screenshot({ path: join(SCREENSHOTS, 'npy.png'), fullPage: true });
    // Back to the text fields for the next tests.
    await page.click('#input-npy ~ button');
    await page.click('#target-npy ~ button');
    expect(await page.isDisabled('#input')).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('computes reduction none: one loss per sample', async () => {
    const input = [
      [0.1, 0.2, 0.4, 0.8],
      [0.5, -1, 2, 0],
    ];
    const target = [
      [3, 0, -1, 1],
      [2, -1, 0, 0],
    ];
    await compute(JSON.stringify(input), JSON.stringify(target), { reduction: 'none', backend: 'wasm' });
    const expected = await multilabelMarginLoss(input, target, { reduction: 'none', backend: 'cpu-ts' });
    const shown = (await page.locator('#per-sample li').allTextContents()).map(Number);
    expect(shown).toHaveLength(2);
    for (const [i, v] of shown.entries()) expect(Math.abs(v - expected.data[i]!)).toBeLessThan(1e-6);
  });

  it("shows a batch: 8 per-sample losses equal to Node's, and an 8×16 gradient heatmap (the README view)", async () => {
    let state = 7;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const input = Array.from({ length: 8 }, () =>
      Array.from({ length: 16 }, () => Math.round(next() * 400 - 200) / 100),
    );
    const target = input.map((_, n) =>
      Array.from({ length: 16 }, (_, j) => (j < 1 + (n % 4) ? (n * 5 + j * 3) % 16 : -1)),
    );
    const rowsJson = (m: number[][]) =>
      `[\n${m.map((r) => `  ${JSON.stringify(r).replaceAll(',', ', ')}`).join(',\n')}\n]`;
    await compute(rowsJson(input), rowsJson(target), { reduction: 'none', backend: 'wasm' });
    const expected = await multilabelMarginLoss(input, target, { reduction: 'none', backend: 'cpu-ts' });
    const shown = (await page.locator('#per-sample li').allTextContents()).map(Number);
    expect(shown).toHaveLength(8);
    for (const [i, v] of shown.entries()) expect(Math.abs(v - expected.data[i]!)).toBeLessThan(1e-5);
    // One square cell per value: 16 columns, 8 rows.
    const { width, height } = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#gradient')!;
      return { width: canvas.width, height: canvas.height };
    });
    expect(width % 16).toBe(0);
    expect(width / 16).toBe(height / 8);
    await page.screenshot({ path: join(SCREENSHOTS, 'readme.png'), fullPage: true });
  });

  it('runs the quick bench on every backend (two presets unchecked, a typed shape) and draws the chart', async () => {
    await page.click('#tab-compare');
    await page.uncheck('#shape-1');
    await page.check('#shape-custom');
    await page.fill('#custom-n', '64');
    await page.fill('#custom-c', '300');
    await page.fill('#custom-j', '4');
    await page.click('#compare-run');
    await page.waitForSelector('#compare-output[data-state="done"], #compare-output[data-state="error"]', {
      state: 'attached',
      timeout: 200_000,
    });
    expect(
      await page.getAttribute('#compare-output', 'data-state'),
      (await page.textContent('#compare-status')) ?? '',
    ).toBe('done');
    // 2 shapes x 2 modes x 3 backends: a bar and a table row each.
    expect(await page.locator('svg#compare-chart rect[height="14"]').count()).toBe(12);
    const rows = await page.locator('#compare-table tbody tr').count();
    expect(rows).toBe(12);
    expect(await page.textContent('#compare-table')).toContain('custom 64×300 J=4');
    await page.screenshot({ path: join(SCREENSHOTS, 'compare.png'), fullPage: true });
  });

  it('measures the main thread during a 65536×128 forward+backward on every backend', async () => {
    const rows = await checkMainThread(page);
    console.log(`isolated page, main thread during a 65536x128 forward+backward: ${JSON.stringify(rows)}`);
    expect(rows.map((r) => r.backend).sort()).toEqual(['cpu-ts', 'wasm', 'webgpu']);
    for (const row of rows) {
      expect(row.callMs, JSON.stringify(row)).toBeGreaterThan(0);
      // A call that froze the page longer than it took would be a measuring error.
      expect(row.longestTaskMs, JSON.stringify(row)).toBeLessThanOrEqual(row.callMs + 100);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'main-thread.png'), fullPage: true });
    mainThread = rows;
  });

  it(`keeps the main thread free on wasm, the auto backend: no task over ${MAX_MAIN_THREAD_TASK_MS} ms during that call`, () => {
    const wasm = mainThread.find((r) => r.backend === 'wasm');
    expect(wasm, 'the previous test measures it').toBeDefined();
    expect(wasm!.longestTaskMs, JSON.stringify(wasm)).toBeLessThan(MAX_MAIN_THREAD_TASK_MS);
  });
});

describe('the playground in a plain page (no COOP/COEP: no SharedArrayBuffer)', () => {
  let plain: Page;
  beforeAll(async () => {
    plain = await openPlayground(servers.plain);
  });

  it('says wasm runs on one thread here, and computes the seed example on it', async () => {
    expect(await plain.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    expect(await plain.textContent('#backends')).toMatch(/not cross-origin isolated/);
    expect(await plain.getAttribute('#backends li[data-backend="wasm"]', 'class')).toBe('available');
    await plain.fill('#input', '[[0.1, 0.2, 0.4, 0.8]]');
    await plain.fill('#target', '[[3, 0, -1, 1]]');
    await plain.selectOption('#backend', 'wasm');
    await plain.click('#compute-button');
    await plain.waitForSelector('#result[data-state="done"]', { state: 'attached' });
    expect(Math.abs(Number(await plain.textContent('#loss')) - 0.85)).toBeLessThan(1e-6);
  });

  it(`keeps the main thread free on wasm there too: no task over ${MAX_MAIN_THREAD_TASK_MS} ms during a 65536×128 forward+backward`, async () => {
    const rows = await checkMainThread(plain);
    console.log(`plain page, main thread during a 65536x128 forward+backward: ${JSON.stringify(rows)}`);
    await plain.screenshot({ path: join(SCREENSHOTS, 'main-thread-plain.png'), fullPage: true });
    const wasm = rows.find((r) => r.backend === 'wasm');
    expect(wasm!.longestTaskMs, JSON.stringify(wasm)).toBeLessThan(MAX_MAIN_THREAD_TASK_MS);
  });
});
