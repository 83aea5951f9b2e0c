import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { buildPage } from './buildPage.js';
import { launchChromium } from './launchChromium.js';
import { PAGE_API_GLOBAL, type PageEnvironment, type PageFixture, PROGRESS_PREFIX } from './protocol.js';
import { type StaticServer, serveDirectory } from './serveDirectory.js';

/** The two pages the browser commands run in. */
export type PageKind = 'plain' | 'isolated';

/** How a page kind is described in the output. */
export const PAGE_TITLES: Readonly<Record<PageKind, string>> = {
  plain: 'plain page (no COOP/COEP: wasm on one thread)',
  isolated: 'cross-origin isolated page (COOP/COEP: wasm on worker threads)',
};

/** A golden file on disk and the name reports give it. */
export interface FixtureFile {
  /** Its path. */
  readonly path: string;
  /** Its name in reports. */
  readonly source: string;
}

/** An opened conformance page, ready: its API is on `globalThis.mlmlConformance`. */
export interface OpenedPage {
  /** The playwright page. */
  readonly page: Page;
  /** What the page said about itself. */
  readonly environment: PageEnvironment;
  /** The golden files as the page fetches them. */
  readonly fixtures: readonly PageFixture[];
}

/**
 * Headless Chromium and the built conformance page, served on 127.0.0.1 twice: plainly and with
 * COOP/COEP. The golden files are served beside the page at `/fixtures/<i>.json`.
 */
export class PageSession {
  private constructor(
    private readonly browser: Browser,
    private readonly servers: Readonly<Record<PageKind, StaticServer>>,
    private readonly outDir: string,
    private readonly fixtures: readonly PageFixture[],
  ) {}

  /** Starts the browser (first: a missing one fails fast), builds the page and starts both servers. */
  static async start(files: readonly FixtureFile[]): Promise<PageSession> {
    const browser = await launchChromium();
    const extraFiles = Object.fromEntries(files.map((file, i) => [`/fixtures/${i}.json`, file.path]));
    const fixtures = files.map((file, i) => ({ source: file.source, url: `/fixtures/${i}.json` }));
    const started: StaticServer[] = [];
    let outDir: string | undefined;
    try {
      outDir = await buildPage();
      const plain = await serveDirectory(outDir, { extraFiles });
      started.push(plain);
      const isolated = await serveDirectory(outDir, { extraFiles, isolated: true });
      started.push(isolated);
      return new PageSession(browser, { plain, isolated }, outDir, fixtures);
    } catch (error) {
      await browser.close().catch(() => undefined);
      await Promise.all(started.map((server) => server.close()));
      if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Opens a page of the given kind and waits until it is ready. Its progress lines go to
   * `onProgress`; an uncaught page error rejects nothing but is reported there too.
   * @throws {Error} when the page's isolation is not the one asked for.
   */
  async open(kind: PageKind, onProgress: (line: string) => void): Promise<OpenedPage> {
    const page = await this.browser.newPage();
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith(PROGRESS_PREFIX)) onProgress(text.slice(PROGRESS_PREFIX.length));
    });
    page.on('pageerror', (error) => onProgress(`page error: ${error.message}`));
    await page.goto(this.servers[kind].url);
    await page.waitForFunction((name) => name in globalThis, PAGE_API_GLOBAL, { timeout: 120_000 });
    const environment = await page.evaluate(
      (name) =>
        (globalThis as unknown as Record<string, { environment(): PageEnvironment }>)[name]!.environment(),
      PAGE_API_GLOBAL,
    );
    if (environment.crossOriginIsolated !== (kind === 'isolated')) {
      throw new Error(
        `the ${kind} page is ${environment.crossOriginIsolated ? '' : 'not '}cross-origin isolated`,
      );
    }
    return { page, environment, fixtures: this.fixtures };
  }

  /** Closes the browser and both servers, and deletes the built page. */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await Promise.all(Object.values(this.servers).map((server) => server.close()));
    await rm(this.outDir, { recursive: true, force: true });
  }
}
