import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { listBackends, unregisterBackend } from '@mlml/core-spec';
import { afterEach, describe, expect, it } from 'vitest';
import { extractImports, isPathSpecifier, resolveImport } from '../src/cli/importModules.js';
import { main } from '../src/cli/main.js';

const plugin = join(import.meta.dirname, 'plugins', 'register-halved.mjs');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => {
  if (listBackends().some((b) => b.name === 'plugin-reference')) unregisterBackend('plugin-reference');
});

describe('mlml --import', () => {
  it('takes every --import out of the line, wherever it stands, in order', () => {
    expect(extractImports(['--import', 'a', 'loss', '--input', 'x', '--import=b'])).toEqual({
      imports: ['a', 'b'],
      rest: ['loss', '--input', 'x'],
    });
    expect(() => extractImports(['backends', '--import'])).toThrow(/--import needs a value/);
    expect(() => extractImports(['backends', '--import='])).toThrow(/--import needs a value/);
  });

  it('tells paths from package names, and resolves paths from the given directory', () => {
    for (const path of ['./x.js', '../x.js', '/abs/x.js', 'file:///x.js'])
      expect(isPathSpecifier(path)).toBe(true);
    for (const name of ['my-backend', '@scope/backend', 'pkg/sub']) expect(isPathSpecifier(name)).toBe(false);
    expect(resolveImport('./x.js', '/tmp/project')).toBe('file:///tmp/project/x.js');
  });

  it('registers a plugin backend before the command runs (path relative to the current directory)', async () => {
    const before = await run('backends');
    expect(before.out).not.toContain('plugin-reference');
    const path = `./${relative(process.cwd(), plugin)}`;
    const r = await run('backends', '--import', path);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/plugin-reference\s+-50\s+available\s+float32, float64/);
  });

  it('resolves a package name from the current directory (a project with the plugin installed)', async () => {
    const project = mkdtempSync(join(tmpdir(), 'mlml-import-'));
    const dir = join(project, 'node_modules', 'my-mlml-plugin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'my-mlml-plugin', type: 'module', exports: { '.': { import: './index.js' } } }),
    );
    writeFileSync(
      join(dir, 'index.js'),
      `globalThis.__mlmlPluginLoaded = (globalThis.__mlmlPluginLoaded ?? 0) + 1;\n`,
    );
    writeFileSync(join(project, 'package.json'), '{"name":"p","private":true}');
    const cwd = process.cwd();
    process.chdir(project);
    try {
      const r = await run('backends', '--import', 'my-mlml-plugin');
      expect(r.code, r.err).toBe(0);
      expect((globalThis as { __mlmlPluginLoaded?: number }).__mlmlPluginLoaded).toBe(1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('reports a module that is missing or throws in one line with exit code 2', async () => {
    const missing = await run('backends', '--import', './no/such/plugin.js');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^mlml backends: --import \.\/no\/such\/plugin\.js: Cannot find module/);
    const broken = await run('backends', '--import', join(import.meta.dirname, 'plugins', 'throws.mjs'));
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/this plugin is broken on purpose/);
    const unknownPackage = await run('backends', '--import', 'no-such-mlml-plugin-package');
    expect(unknownPackage.code).toBe(2);
    for (const r of [missing, broken, unknownPackage]) expect(r.err.split('\n')).toHaveLength(1);
  });
});
