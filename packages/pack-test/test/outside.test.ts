import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInto } from '../src/outsideProject.js';
import { readmeUsageExample } from '../src/readmeExample.js';
import { describeRun, run } from '../src/run.js';
import { serveStatic } from '../src/serveStatic.js';
import { packAll, publishedPackages } from '../src/workspace.js';

// Every published package, packed and installed from its tarball into a project outside the
// workspace (only the npm registry is reachable there), used as README tells a user to.

const work = mkdtempSync(join(tmpdir(), 'mlml-pack-'));
const project = join(work, 'consumer');
const installed = (name: string) => join(project, 'node_modules', ...name.split('/'));
const npx = (...args: string[]) =>
  run('npx', ['--no-install', ...args], { cwd: project, timeoutMs: 600_000 });

afterAll(() => rm(work, { recursive: true, force: true }));

beforeAll(async () => {
  const tarballs = await packAll(join(work, 'tarballs'));
  mkdirSync(project);
  await installInto(project, [...tarballs, 'vite@8.3.8', 'typescript@7.0.2', '@types/node@20']);
});

describe('packed tarballs', () => {
  it('hold README, license and every file their exports, bins and run-time loads name', () => {
    for (const pkg of publishedPackages()) {
      const dir = installed(pkg.name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(existsSync(join(dir, 'README.md')), `${pkg.name} README.md`).toBe(true);
      expect(manifest.license, pkg.name).toBe('MIT');
      expect(existsSync(join(dir, 'LICENSE')), `${pkg.name} LICENSE`).toBe(true);
      expect(JSON.stringify(manifest), pkg.name).not.toContain('workspace:');
      const targets: string[] = [];
      const collect = (entry: unknown): void => {
        if (typeof entry === 'string') targets.push(entry);
        else if (entry !== null && typeof entry === 'object') Object.values(entry).forEach(collect);
      };
      collect(manifest.exports);
      collect(manifest.bin);
      for (const target of targets.filter((t) => !t.includes('*')))
        expect(existsSync(join(dir, target)), `${pkg.name}: ${target}`).toBe(true);
    }
    // Loaded at run time by path, not through exports.
    expect(existsSync(join(installed('@mlml/bench'), 'python', 'torch_bench.py'))).toBe(true);
  });

  it('declare no dependency their published code never imports', () => {
    for (const pkg of publishedPackages()) {
      const dir = installed(pkg.name);
      const code: string[] = [];
      const walk = (d: string): void => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
          const path = join(d, entry.name);
          if (entry.isDirectory()) walk(path);
          else if (/\.(m?js|d\.ts)$/.test(entry.name)) code.push(readFileSync(path, 'utf8'));
        }
      };
      for (const sub of ['dist', 'bin']) if (existsSync(join(dir, sub))) walk(join(dir, sub));
      const all = code.join('\n');
      for (const dependency of Object.keys(pkg.manifest.dependencies ?? {})) {
        // A package of type declarations only (e.g. @webgpu/types: global GPU* types) is used by
        // the declarations without an import.
        const depManifest = JSON.parse(readFileSync(join(installed(dependency), 'package.json'), 'utf8'));
        if (dependency.startsWith('@types/') || (depManifest.types !== undefined && !depManifest.main))
          continue;
        expect(all, `${pkg.name} depends on ${dependency} without importing it`).toMatch(
          new RegExp(`['"]${dependency.replace(/[/.]/g, '\\$&')}(/[^'"]*)?['"]`),
        );
      }
    }
  });
});

describe('a project outside the workspace', () => {
  it("runs README's usage example with Node", async () => {
    writeFileSync(join(project, 'example.mjs'), readmeUsageExample());
    const result = await run('node', ['example.mjs'], { cwd: project });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      '0.850000 wasm',
      '0.850000 [ [ -0.5, 0.5, 0.5, -0.5 ] ]',
    ]);
  });

  it('typechecks the example and every entry point with skipLibCheck: false', async () => {
    writeFileSync(join(project, 'example.ts'), readmeUsageExample());
    writeFileSync(
      join(project, 'entries.ts'),
      [
        "export * as loss from '@mlml/loss';",
        "export * as cli from '@mlml/loss/cli';",
        "export * as spec from '@mlml/core-spec';",
        "export * as cpu from '@mlml/cpu-ts';",
        "export * as wasm from '@mlml/wasm';",
        "export * as wasmReadPass from '@mlml/wasm/read-pass';",
        "export * as webgpu from '@mlml/webgpu';",
        "export * as conformance from '@mlml/conformance';",
        "export * as bench from '@mlml/bench';",
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        files: ['example.ts', 'entries.ts'],
      }),
    );
    const result = await npx('tsc', '-p', '.');
    expect(result.code, describeRun(result)).toBe(0);
  });

  it('builds the example with Vite for production, and the bundle runs in Chromium', async () => {
    const app = join(project, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(
      join(app, 'index.html'),
      '<!doctype html><script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(join(app, 'main.js'), `${readmeUsageExample()}\nconsole.log('done');\n`);
    const build = await npx('vite', 'build', 'app', '--outDir', 'dist', '--emptyOutDir');
    expect(build.code, describeRun(build)).toBe(0);
    const dist = join(app, 'dist');
    expect(readdirSync(join(dist, 'assets')).some((file) => file.endsWith('.js'))).toBe(true);
    const server = await serveStatic(dist);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const lines: string[] = [];
      const errors: string[] = [];
      // Only the page's own console.log lines (not e.g. the browser's 404 for /favicon.ico).
      page.on('console', (message) => {
        if (message.type() === 'log') lines.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(server.url);
      await expect.poll(() => lines.includes('done') || errors.length > 0, { timeout: 60_000 }).toBe(true);
      expect(errors).toEqual([]);
      expect(lines[0]).toBe('0.850000 wasm');
      expect(lines[1]).toMatch(/^0\.850000 /);
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it('npx mlml backends lists the built-in backends', async () => {
    const result = await npx('mlml', 'backends');
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/wasm\s+30\s+available/);
    expect(result.stdout).toMatch(/cpu-ts\s+10\s+available/);
    expect(result.stdout).toMatch(/webgpu\s+20\s+(available|unavailable)/);
  });

  it('npx mlml conformance passes on every backend that initialises', async () => {
    const result = await npx('mlml', 'conformance');
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/total/);
    expect(result.stdout).not.toMatch(/FAIL/);
  });
});
