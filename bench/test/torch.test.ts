import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { checkAgreement, DEFAULT_TOLERANCE } from '../src/agreement.js';
import { generateData } from '../src/generateData.js';
import { GRID_SHAPES } from '../src/shapes.js';
import { torchContender } from '../src/torchContender.js';
import { DEFAULT_PYTHON, TorchRunner } from '../src/torchRunner.js';

describe('the PyTorch subprocess', () => {
  it('reports a missing python as unavailable, not as an error', async () => {
    const started = await TorchRunner.start('/nonexistent/python3');
    expect(started).toEqual({ unavailable: expect.stringContaining('/nonexistent/python3') });
  });

  it('reports a python without torch as unavailable', async () => {
    // /bin/false starts and ends without the hello line: the same path as a failed `import torch`.
    const started = await TorchRunner.start('/bin/false');
    expect(started).toEqual({ unavailable: expect.stringContaining('could not run PyTorch') });
  });

  it.runIf(existsSync(DEFAULT_PYTHON))(
    'agrees with the reference and times its loop, when /usr/bin/python3 has torch',
    async () => {
      const started = await TorchRunner.start();
      if (!(started instanceof TorchRunner)) {
        // This machine's python has no torch: the runner said why.
        expect(started.unavailable).toMatch(/PyTorch|python/);
        return;
      }
      const dir = await mkdtemp(join(tmpdir(), 'mlml-torch-test-'));
      try {
        expect(started.info.torch).toMatch(/^\d+\.\d+/);
        const reference = createReferenceBackend();
        for (const dtype of ['float32', 'float64'] as const) {
          const data = generateData(GRID_SHAPES[0]!, dtype);
          const expected = await reference.forwardBackward(data.input, data.target);
          const prepared = await torchContender(started, 1, dir).prepare(data);
          const values = await prepared.values('forward-backward');
          checkAgreement(
            'torch',
            dtype,
            { output: expected.output.data, gradInput: expected.gradInput.data },
            values,
            DEFAULT_TOLERANCE[dtype],
          );
          const stats = await prepared.time('forward', {
            timeMs: 5,
            minIterations: 3,
            warmupMs: 0,
            warmupIterations: 1,
          });
          expect(stats.samples).toBeGreaterThanOrEqual(3);
          expect(stats.medianMs).toBeGreaterThan(0);
          await prepared.release();
        }
        await expect(started.request({ cmd: 'values', id: 'never-loaded', mode: 'forward' })).rejects.toThrow(
          /PyTorch: KeyError/,
        );
      } finally {
        await started.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
