import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import { createReferenceBackend, loadBuiltinFixtures } from '../src/index.ts';
import { loadBuiltinLargeGoldenFiles } from '../src/node.ts';
import { describeConformance } from '../src/vitest.ts';

// The reference's O(N·J·C) loops take tens of seconds on the 32 x 16384 large problem: here, where
// the vitest wrapper is under test, the 512 x 1024 ones suffice (reference.test.ts runs them all).
const largeBatch = (await loadBuiltinLargeGoldenFiles()).map((file) => ({
  ...file,
  cases: file.cases.filter((c) => c.id.startsWith('large/batch-')),
}));

// A contributor's test is `describeConformance(name, factory)`; here the large problems are narrowed:
describeConformance('reference', () => createReferenceBackend(), {
  fixtures: await loadBuiltinFixtures(),
  largeFixtures: largeBatch,
});

describe('describeConformance', () => {
  it('fails (does not skip) every test when the factory rejects, and passes a good backend', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const vitest = await startVitest('test', [], {
      root,
      config: fileURLToPath(new URL('../vitest.config.ts', import.meta.url)),
      include: ['test/nested/rejecting.conformance.ts'],
      reporters: [{}], // silent: the outer run reports
      watch: false,
    });
    try {
      const tests = vitest.state.getFiles().flatMap((file) => collect(file));
      const rejecting = tests.filter((t) => t.name.includes('conformance: rejecting'));
      const good = tests.filter((t) => t.name.includes('conformance: reference'));
      expect(rejecting.length).toBeGreaterThanOrEqual(4);
      expect(rejecting.every((t) => t.state === 'fail')).toBe(true);
      expect(rejecting[0]!.error).toMatch(/did not initialise: Error: no adapter found/);
      expect(good.length).toBe(rejecting.length);
      expect(good.map((t) => t.state)).toEqual(good.map(() => 'pass'));
    } finally {
      await vitest.close();
    }
  });
});

interface Task {
  name: string;
  type: string;
  mode?: string;
  result?: { state?: string; errors?: { message?: string }[] };
  tasks?: Task[];
}

function collect(task: Task, path = ''): { name: string; state: string | undefined; error: string }[] {
  const name = `${path} > ${task.name}`;
  if (task.type === 'test') {
    return [{ name, state: task.result?.state, error: task.result?.errors?.[0]?.message ?? '' }];
  }
  return (task.tasks ?? []).flatMap((child) => collect(child, name));
}
