import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import { createReferenceBackend } from '../src/index.ts';
import { describeConformance } from '../src/vitest.ts';

// A contributor's test is these two lines:
describeConformance('reference', () => createReferenceBackend());

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
