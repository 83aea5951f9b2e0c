import type { ILossBackend } from '@mlml/core-spec';
import { createBackend, listBackends } from '@mlml/loss';
import { createWebGpuBackend } from '@mlml/webgpu';
import { afterAll, describe, expect, test } from 'vitest';
import { FuzzTally } from '../src/FuzzTally.js';
import { type FindingSummary, formatFindings, fuzzBackend } from '../src/fuzzBackend.js';
import { fuzzSettings } from '../src/fuzzSettings.js';

const settings = fuzzSettings(process.env);
const tallies = new Map<string, FuzzTally>();

/** Every backend @mlml/loss registers, plus webgpu on tiny limits so that small problems are chunked. */
const targets: { label: string; create: () => Promise<ILossBackend> }[] = [
  ...listBackends().map(({ name }) => ({ label: name, create: () => createBackend(name) })),
  {
    label: 'webgpu (chunked: 2 KiB buffers, 4 workgroups per dimension)',
    create: () =>
      createWebGpuBackend({
        limits: { maxStorageBufferBindingSize: 2048, maxComputeWorkgroupsPerDimension: 4 },
      }),
  },
];

describe(`fuzz (seed ${settings.seed}, ${settings.runs} groups of 1-4 calls per backend${settings.long ? ', long run' : ''})`, () => {
  test('@mlml/loss registers the three built-in backends', () => {
    expect(
      listBackends()
        .map((b) => b.name)
        .sort(),
    ).toEqual(['cpu-ts', 'wasm', 'webgpu']);
  });

  for (const { label, create } of targets) {
    for (const api of ['backend', 'loss'] as const) {
      const via = api === 'backend' ? 'its ILossBackend methods' : "@mlml/loss's torch-like functions";
      test(`${label}, through ${via}: every call matches the reference or rejects with the reference's LossError; no input mutated; nothing hangs`, async () => {
        // A backend that cannot start fails here, loudly: CI runs every backend.
        const backend = await create();
        const tally = new FuzzTally();
        tallies.set(`${label} (${api})`, tally);
        let findings: FindingSummary[];
        try {
          findings = await fuzzBackend(backend, api, settings, tally);
        } finally {
          await backend.dispose();
        }
        expect(tally.calls).toBeGreaterThan(0);
        expect(findings, formatFindings(label, findings)).toEqual([]);
      });
    }
  }

  afterAll(() => {
    const lines = [...tallies].map(([label, tally]) => `  ${label}: ${tally.summary()}`);
    console.log(`fuzz counts (seed ${settings.seed}):\n${lines.join('\n')}`);
  });
});
