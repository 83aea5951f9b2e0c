import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installInto } from '../src/outsideProject.js';
import { describeRun, run } from '../src/run.js';
import { packAll, WORKSPACE_ROOT } from '../src/workspace.js';

// examples/backend-template, copied out of the workspace, with the packed tarballs installed: its
// own conformance test, the CLI's conformance with --import, a quick bench beside PyTorch, and a
// deliberately wrong backend that fails with the offending input shown.

const work = mkdtempSync(join(tmpdir(), 'mlml-template-'));
const project = join(work, 'backend-template');
const npx = (...args: string[]) =>
  run('npx', ['--no-install', ...args], { cwd: project, timeoutMs: 900_000 });

/** A wrong backend: the template's kernel with a gradient off by 0.001 at every row's first class. */
const BROKEN_BACKEND = `
import { LossBackend, registerBackend } from '@mlml/core-spec';
import { NAIVE_CAPABILITIES, naiveKernel } from './src/index.js';

const off = (gradInput, classes) => {
  for (let i = 0; i < gradInput.length; i += classes) gradInput[i] += 0.001;
  return gradInput;
};
const broken = {
  forward: (problem) => naiveKernel.forward(problem),
  backward: (problem) => off(naiveKernel.backward(problem), problem.classes),
  forwardBackward: (problem) => {
    const { output, gradInput } = naiveKernel.forwardBackward(problem);
    return { output, gradInput: off(gradInput, problem.classes) };
  },
};
registerBackend('naive-broken', () => new LossBackend('naive-broken', NAIVE_CAPABILITIES, broken));
`;

afterAll(() => rm(work, { recursive: true, force: true }));

beforeAll(async () => {
  const tarballs = await packAll(join(work, 'tarballs'));
  cpSync(join(WORKSPACE_ROOT, 'examples', 'backend-template'), project, {
    recursive: true,
    filter: (source) => !source.includes('node_modules') && !source.includes('mlml-bench-results'),
  });
  await installInto(project, [...tarballs, 'vitest@4.1.12'], { keepManifest: true });
});

describe('examples/backend-template outside the workspace', () => {
  it('passes its own conformance test (describeConformance)', async () => {
    const result = await npx('vitest', 'run');
    expect(result.code, describeRun(result)).toBe(0);
    const passed = /Tests\s+(\d+) passed/.exec(stripVTControlCharacters(result.stdout));
    expect(Number(passed?.[1]), describeRun(result)).toBeGreaterThan(400);
  });

  it('passes mlml conformance --import ./src/register.js --backend naive', async () => {
    const result = await npx('mlml', 'conformance', '--import', './src/register.js', '--backend', 'naive');
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/naive/);
    expect(result.stdout).not.toMatch(/FAIL/);
  });

  it('appears in a quick bench (--import) with PyTorch beside it and its declared read pass', async () => {
    const result = await npx(
      'mlml-bench',
      '--import',
      './src/register.js',
      '--backends',
      'naive',
      '--shapes',
      'small',
      '--peers',
      'torch',
      '--time',
      '40',
      '--json',
      'bench.json',
    );
    expect(result.code, describeRun(result)).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'bench.json'), 'utf8'));
    const forward = (name: string) =>
      report.results.find(
        (r: { implementation: string; mode: string; dtype: string }) =>
          r.implementation === name && r.mode === 'forward' && r.dtype === 'float32',
      );
    expect(forward('naive')).toMatchObject({ readPass: 'read-pass:js' });
    const torch = report.implementations.find((i: { name: string }) => i.name === 'torch');
    if (torch?.available) {
      expect(forward('torch')).toBeDefined();
      expect(forward('naive').speedupVsTorch).toBeGreaterThan(0);
    } else {
      // No PyTorch on this machine: the run says why instead of failing.
      expect(torch?.reason).toBeTruthy();
    }
  });

  it('fails a deliberately wrong backend with a message that shows its input row and target', async () => {
    writeFileSync(join(project, 'broken.js'), BROKEN_BACKEND);
    const result = await npx('mlml', 'conformance', '--import', './broken.js', '--backend', 'naive-broken');
    expect(result.code, describeRun(result)).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/FAIL/);
    expect(output).toMatch(/grad_input at index \d+/);
    expect(output).toMatch(/input\[\d+\] = \[/);
    expect(output).toMatch(/target\[\d+\] = \[/);
  });
});
