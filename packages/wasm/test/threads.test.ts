import { availableParallelism } from 'node:os';
import {
  type FloatArray,
  findTargetOutOfRange,
  type ILossBackend,
  isLossError,
  LossBackend,
  type Tensor,
} from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, WASM_CAPABILITIES } from '../src/index.js';
import { PlacedLossKernel } from '../src/PlacedLossKernel.js';
import { type CallShape, MIN_SHARED_ELEMENTS, type Placement, ThreadPolicy } from '../src/ThreadPolicy.js';
import { instantiateKernels } from '../src/WasmKernels.js';
import { WasmLossKernel } from '../src/WasmLossKernel.js';
import { WorkerTeam } from '../src/WorkerTeam.js';
import { random } from './cases.js';

interface BigCase {
  readonly input: Tensor<FloatArray>;
  readonly target: Tensor<Int32Array>;
}

/**
 * N x C rows with J targets each (J varies by row when `targets` is an array), some duplicated,
 * and, every 37th row, a NaN or an infinity: large enough to be shared among threads.
 */
function bigCase(
  seed: number,
  batch: number,
  classes: number,
  targets: readonly number[],
  f64 = false,
): BigCase {
  const next = random(seed);
  const input = f64 ? new Float64Array(batch * classes) : new Float32Array(batch * classes);
  const target = new Int32Array(batch * classes).fill(-1);
  for (let n = 0; n < batch; n++) {
    const row = n * classes;
    for (let c = 0; c < classes; c++) input[row + c] = next() * 4 - 2;
    if (n % 37 === 5) input[row + Math.floor(next() * classes)] = [Number.NaN, Infinity, -Infinity][n % 3]!;
    const j = targets[n % targets.length]!;
    for (let k = 0; k < j; k++) target[row + k] = Math.floor(next() * classes);
    // A valid value after the -1 (ignored, but range-checked).
    if (j + 1 < classes) target[row + j + 1] = Math.floor(next() * classes);
  }
  return {
    input: { data: input, shape: [batch, classes] },
    target: { data: target, shape: [batch, classes] },
  };
}

/**
 * The wasm backend with `workers` workers that shares every problem of at least
 * MIN_SHARED_ELEMENTS elements (the default backend decides by measuring, so a test of the
 * threaded path could otherwise run alone).
 */
async function sharingBackend(workers: number): Promise<ILossBackend> {
  const kernels = await instantiateKernels(65_536, true);
  const team = await WorkerTeam.start(kernels.module, kernels.memory, workers);
  const kernel = new WasmLossKernel(kernels, undefined, team, new ThreadPolicy({ sharing: 'always' }));
  return new LossBackend('wasm', { ...WASM_CAPABILITIES, threads: kernel.threads }, kernel);
}

/** The exact bytes of `data` (with its type), as a string: quick to compare, bit for bit. */
function bits(data: FloatArray): string {
  return `${data.constructor.name}:${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
}

describe('worker threads', () => {
  let single: ILossBackend;
  let threaded: ILossBackend;

  beforeAll(async () => {
    single = await createWasmBackend({ threads: 1 });
    threaded = await sharingBackend(2);
  });

  afterAll(async () => {
    await single.dispose();
    await threaded.dispose();
  });

  it('are used by default where the hardware has several threads, and never with threads: 1', async () => {
    const byDefault = await createWasmBackend();
    expect(byDefault.capabilities.threads).toBe(Math.min(4, availableParallelism()));
    await byDefault.dispose();
    expect(single.capabilities.threads).toBe(1);
    const three = await createWasmBackend({ threads: 3 });
    expect(three.capabilities.threads).toBe(3);
    expect(three.capabilities.notes).toBeUndefined();
    await three.dispose();
  });

  it('give bit-identical forward, backward and fused results to one thread (both dtypes, small and large J)', async () => {
    const shapes: [number, number, number[], boolean][] = [
      [600, 400, [5, 1, 0, 3], false],
      [128, 2048, [50, 9, 30], false],
      [384, 600, [4, 40], true],
    ];
    for (const [index, [batch, classes, targets, f64]] of shapes.entries()) {
      expect(batch * classes).toBeGreaterThanOrEqual(MIN_SHARED_ELEMENTS);
      const { input, target } = bigCase(100 + index, batch, classes, targets, f64);
      for (const reduction of ['none', 'mean', 'sum'] as const) {
        const a = await single.forward(input, target, { reduction });
        const b = await threaded.forward(input, target, { reduction });
        expect(bits(b.data)).toEqual(bits(a.data));
        const fa = await single.forwardBackward(input, target, undefined, { reduction });
        const fb = await threaded.forwardBackward(input, target, undefined, { reduction });
        expect(bits(fb.output.data)).toEqual(bits(fa.output.data));
        expect(bits(fb.gradInput.data)).toEqual(bits(fa.gradInput.data));
      }
      const gradOutput = { data: f64 ? new Float64Array([-0.5]) : new Float32Array([-0.5]), shape: [] };
      const ga = await single.backward(input, target, gradOutput);
      const gb = await threaded.backward(input, target, gradOutput);
      expect(bits(gb.data)).toEqual(bits(ga.data));
    }
  });

  it('return plain (not shared) arrays and leave the caller arrays untouched', async () => {
    const { input, target } = bigCase(7, 512, 512, [5]);
    const inputCopy = input.data.slice();
    const targetCopy = target.data.slice();
    const { output, gradInput } = await threaded.forwardBackward(input, target);
    expect(output.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(gradInput.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(bits(input.data)).toEqual(bits(inputCopy));
    expect(Buffer.from(target.data.buffer).equals(Buffer.from(targetCopy.buffer))).toBe(true);
  });

  it('serve concurrent calls in order with the right results, errors included', async () => {
    // Both sides of MIN_SHARED_ELEMENTS: 160 000 to 300 800 elements.
    const cases = Array.from({ length: 12 }, (_, i) =>
      bigCase(200 + i, 400 + 32 * i, 400, [1 + (i % 6), 30]),
    );
    const bad = bigCase(999, 600, 400, [5]);
    bad.target.data[bad.target.data.length - 3] = 400;
    const expected = [];
    for (const c of cases)
      expected.push(bits((await single.forward(c.input, c.target, { reduction: 'none' })).data));
    const calls = cases.map((c) => threaded.forward(c.input, c.target, { reduction: 'none' }));
    const failing = threaded.forward(bad.input, bad.target);
    calls.splice(5, 0, failing);
    const settled = await Promise.allSettled(calls);
    const failed = settled.splice(5, 1)[0]!;
    expect(failed.status).toBe('rejected');
    const reason = failed.status === 'rejected' ? failed.reason : undefined;
    expect(isLossError(reason) && reason.code).toBe('TARGET_OUT_OF_RANGE');
    expect(String((reason as Error).message)).toContain(`index ${bad.target.data.length - 3}`);
    expect(settled.map((s) => (s.status === 'fulfilled' ? bits(s.value.data) : s.reason))).toEqual(expected);
  });

  it('read the inputs when the call is made: refilling them right after the call changes nothing', async () => {
    const { input, target } = bigCase(21, 512, 512, [5, 30]);
    const options = { reduction: 'none' } as const;
    const expected = bits((await single.forward(input, target, options)).data);
    const gradExpected = bits(
      (await single.backward(input, target, { data: new Float32Array(512).fill(2), shape: [512] }, options))
        .data,
    );
    for (const backend of [single, threaded]) {
      const x = input.data.slice();
      const t = target.data.slice();
      const g = new Float32Array(512).fill(2);
      const tensors = [
        { data: x, shape: input.shape },
        { data: t, shape: target.shape },
      ] as const;
      const first = backend.forward(...tensors, options); // runs at once
      const second = backend.forward(...tensors, options); // waits for the first
      const third = backend.backward(...tensors, { data: g, shape: [512] }, options);
      x.fill(0);
      t.fill(-1);
      g.fill(0);
      expect(bits((await first).data)).toEqual(expected);
      expect(bits((await second).data)).toEqual(expected);
      expect(bits((await third).data)).toEqual(gradExpected);
    }
  });

  it('report the first target out of range, whichever thread checks its rows', async () => {
    const next = random(31);
    const { input, target } = bigCase(13, 1024, 256, [5]);
    for (let trial = 0; trial < 12; trial++) {
      const t = target.data.slice();
      // Two to four bad values anywhere: ahead of a row's -1, after it, in any chunk.
      const bad = 2 + (trial % 3);
      for (let k = 0; k < bad; k++) t[Math.floor(next() * t.length)] = next() < 0.5 ? -2 - k : 256 + k;
      const first = findTargetOutOfRange(t, 256);
      const message = `found ${t[first]} at index ${first},`;
      const tensor = { data: t, shape: target.shape };
      for (const backend of [single, threaded]) {
        await expect(backend.forward(input, tensor)).rejects.toThrow(message);
        await expect(backend.forwardBackward(input, tensor)).rejects.toThrow(message);
      }
    }
  });

  it('name, in a TARGET_OUT_OF_RANGE message, the value read at call time, not what the caller wrote there afterwards', async () => {
    const { input, target } = bigCase(17, 1024, 256, [5]);
    expect(1024 * 256).toBeGreaterThanOrEqual(MIN_SHARED_ELEMENTS);
    const index = 700 * 256 + 9; // a chunk in the middle: a worker or this thread checks it
    for (const backend of [single, threaded]) {
      for (const call of ['forward', 'forwardBackward'] as const) {
        const t = target.data.slice();
        t[index] = 300;
        const tensor = { data: t, shape: target.shape };
        const pending =
          call === 'forward' ? backend.forward(input, tensor) : backend.forwardBackward(input, tensor);
        t[index] = 7; // the caller refills its array at once
        await expect(pending).rejects.toThrow(`found 300 at index ${index},`);
      }
    }
  });

  it('recover from a rejected call', async () => {
    const bad = bigCase(11, 1024, 256, [5]);
    bad.target.data[17] = -2;
    await expect(threaded.forward(bad.input, bad.target)).rejects.toMatchObject({
      code: 'TARGET_OUT_OF_RANGE',
    });
    const good = bigCase(12, 1024, 256, [5, 12]);
    const a = await single.forward(good.input, good.target, { reduction: 'none' });
    const b = await threaded.forward(good.input, good.target, { reduction: 'none' });
    expect(bits(b.data)).toEqual(bits(a.data));
  });
});

describe('a kernel whose workers have stopped', () => {
  it('computes on its own thread, with the same results', async () => {
    const kernels = await instantiateKernels(65_536, true);
    const team = await WorkerTeam.start(kernels.module, kernels.memory, 1);
    const kernel = new WasmLossKernel(kernels, undefined, team);
    expect(kernel.threads).toBe(2);
    const reference = new WasmLossKernel(await instantiateKernels());
    const { input, target } = bigCase(5, 512, 512, [4, 20]);
    const problem = {
      dtype: 'float32' as const,
      input: input.data,
      target: target.data,
      batch: 512,
      classes: 512,
      reduction: 'none' as const,
      inputShape: [512, 512],
      outputShape: [512],
    };
    const before = await kernel.forward(problem);
    await team.stop();
    expect(kernel.threads).toBe(1);
    const after = await kernel.forward(problem);
    const expected = await reference.forward(problem);
    expect(bits(before)).toEqual(bits(expected));
    expect(bits(after)).toEqual(bits(expected));
  });
});

describe('the default placement (PlacedLossKernel)', () => {
  it('times each size alone and shared and gives the same bits either way', async () => {
    const placements: Placement[] = [];
    class Traced extends ThreadPolicy {
      override record(shape: CallShape, placement: Placement, ms: number): void {
        placements.push(placement);
        super.record(shape, placement, ms);
      }
    }
    const kernels = await instantiateKernels(65_536, true);
    const team = await WorkerTeam.start(kernels.module, kernels.memory, 1);
    const shared = new WasmLossKernel(kernels, undefined, team, new ThreadPolicy({ sharing: 'always' }));
    const here = new WasmLossKernel(await instantiateKernels());
    const kernel = new PlacedLossKernel(here, shared, team, new Traced());
    const backend = new LossBackend('wasm', WASM_CAPABILITIES, kernel);
    const single = await createWasmBackend({ threads: 1 });
    try {
      expect(kernel.threads).toBe(2);
      const { input, target } = bigCase(61, 256, 400, [3, 12]);
      const expected = await single.forwardBackward(input, target, undefined, { reduction: 'none' });
      for (let i = 0; i < 14; i++) {
        const result = await backend.forwardBackward(input, target, undefined, { reduction: 'none' });
        expect(bits(result.output.data)).toBe(bits(expected.output.data));
        expect(bits(result.gradInput.data)).toBe(bits(expected.gradInput.data));
      }
      // Probing: both placements timed, then the faster kept.
      expect(placements.slice(0, 12).filter((p) => p === 'here').length).toBeGreaterThanOrEqual(5);
      expect(placements.slice(0, 12).filter((p) => p === 'shared').length).toBeGreaterThanOrEqual(5);
    } finally {
      await backend.dispose();
      await single.dispose();
    }
  });
});

describe('a threaded kernel', () => {
  it('keeps its shared memory flat over 1,000 shared calls', async () => {
    const kernels = await instantiateKernels(65_536, true);
    const team = await WorkerTeam.start(kernels.module, kernels.memory, 1);
    const kernel = new WasmLossKernel(kernels, undefined, team);
    const backend = new LossBackend('wasm', WASM_CAPABILITIES, kernel);
    try {
      const { input, target } = bigCase(41, 512, 400, [3, 12]);
      expect(512 * 400).toBeGreaterThanOrEqual(MIN_SHARED_ELEMENTS);
      await backend.forwardBackward(input, target);
      const start = kernels.memory.buffer.byteLength;
      for (let i = 0; i < 1_000; i++) {
        if (i % 2 === 0) await backend.forward(input, target);
        else await backend.forwardBackward(input, target);
      }
      expect(kernels.memory.buffer.byteLength).toBe(start);
      expect(kernel.threads).toBe(2);
    } finally {
      await backend.dispose();
    }
  });
});

describe('WorkerTeam', () => {
  it('shares every chunk exactly once, and rejects a job asked for once it is stopping', async () => {
    const kernels = await instantiateKernels(65_536, true);
    const team = await WorkerTeam.start(kernels.module, kernels.memory, 2);
    expect(team.size).toBe(2);
    const seen: number[] = [];
    const job = {
      kind: 0 as const,
      input: 0,
      target: 0,
      batch: 0,
      classes: 1,
      sums: 0,
      grad: 0,
      scales: 0,
      g: 0,
      simdMax: 0,
    };
    // No rows: nothing runs anywhere.
    await team.run(
      job,
      [0, 0],
      () => {},
      (from) => seen.push(from),
    );
    expect(seen).toEqual([]);
    // Rows of 1 class with no target (zero loss): the chunks this thread claims, plus the
    // workers' (all of them if the workers are slow), cover the rows once.
    const base = Math.ceil(kernels.exports.heapBase() / 16) * 16;
    kernels.memory.grow(1);
    new Int32Array(kernels.memory.buffer).fill(-1, base / 4, base / 4 + 100);
    const rows = { ...job, batch: 100, input: base, target: base, sums: base + 512 };
    const ran: number[] = [];
    const prepared: number[] = [];
    const finished: number[] = [];
    const sums = new Float64Array(kernels.memory.buffer, base + 512, 100).fill(Number.NaN);
    await team.run(
      rows,
      [base + 2048, base + 4096],
      (from, count) => prepared.push(from, count),
      (from, count) => {
        for (let r = from; r < from + count; r++) ran.push(r);
        sums.fill(0, from, from + count);
        return -1;
      },
      (from, count) => {
        // Finished only once computed (the kernels write each row's sum, 0 here), by any thread.
        expect([...sums.subarray(from, from + count)]).toEqual(new Array(count).fill(0));
        for (let r = from; r < from + count; r++) finished.push(r);
      },
    );
    expect(finished.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, r) => r));
    // Every chunk prepared once, in order, covering the rows.
    expect(prepared.filter((_, i) => i % 2 === 0)).toEqual(
      [...prepared.filter((_, i) => i % 2 === 0)].sort((a, b) => a - b),
    );
    expect(prepared.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(100);
    expect(new Set(ran).size).toBe(ran.length);
    expect(ran.every((r) => r >= 0 && r < 100)).toBe(true);
    // Jobs this thread finishes alone before the worker is back (a worker can be late for a
    // whole job): the worker must still take part in the jobs after them, not wait forever for
    // the job it missed.
    for (let i = 0; i < 3000; i++) {
      await team.run(
        { ...rows, batch: 2 },
        [base + 2048, base + 4096],
        () => {},
        () => -1,
      );
    }
    let here = 0;
    await team.run(
      rows,
      [base + 2048, base + 4096],
      () => {},
      () => {
        here++;
        const until = performance.now() + 5; // slow chunks here: the workers take the rest
        while (performance.now() < until) {}
        return -1;
      },
    );
    expect(here).toBeLessThan(Math.ceil(100 / Math.ceil(100 / 24)));
    const stopping = team.stop();
    await expect(
      team.run(
        { ...job, batch: 4 },
        [0, 0],
        () => {},
        () => -1,
      ),
    ).rejects.toThrow(/unavailable/);
    await stopping;
    expect(team.failure).toBe('stopped');
  });

  /**
   * A job of 32 heavy rows (C = 50,000, J = 1,000: about a millisecond each) laid out in
   * the team's shared memory, and the row sums one thread computes for it.
   */
  async function heavyJob(workers: number) {
    const kernels = await instantiateKernels(65_536, true);
    const team = await WorkerTeam.start(kernels.module, kernels.memory, workers);
    const [batch, classes] = [32, 50_000];
    const { input, target } = bigCase(77, batch, classes, [1_000]);
    const base = Math.ceil(kernels.exports.heapBase() / 16) * 16;
    const scratchBytes = Math.ceil(Number(kernels.exports.scratchBytes(classes)) / 16) * 16;
    const job = {
      kind: 0 as const,
      target: base,
      input: base + batch * classes * 4,
      sums: base + batch * classes * 8,
      batch,
      classes,
      grad: 0,
      scales: 0,
      g: 0,
      simdMax: 24,
    };
    const scratch = Array.from({ length: workers + 1 }, (_, i) => job.sums + batch * 8 + i * scratchBytes);
    const end = scratch[workers]! + scratchBytes;
    kernels.memory.grow(Math.ceil((end - kernels.memory.buffer.byteLength) / 65_536) + 1);
    const memory = kernels.memory.buffer;
    const prepare = (from: number, count: number) => {
      const [start, stop] = [from * classes, (from + count) * classes];
      new Int32Array(memory, job.target, batch * classes).set(target.data.subarray(start, stop), start);
      new Float32Array(memory, job.input, batch * classes).set(input.data.subarray(start, stop), start);
    };
    const sums = () => [...new Float64Array(memory, job.sums, batch)];
    const expected = [...(await single.forward(input, target, { reduction: 'none' })).data].map(
      (v) => v * classes,
    );
    return { team, job, scratch, prepare, sums, expected };
  }

  let single: ILossBackend;
  beforeAll(async () => {
    single = await createWasmBackend({ threads: 1 });
  });
  afterAll(async () => {
    await single.dispose();
  });

  it('finishes the job in flight when stopped mid-job, then its workers return and it takes no more jobs', async () => {
    const { team, job, scratch, prepare, sums, expected } = await heavyJob(2);
    let pendingWhenStopped = -1;
    let stopping: Promise<void> | undefined;
    const finished: number[] = [];
    // This thread computes nothing (as on a browser page's main thread): it stops the team as
    // soon as it sees the first chunk done, with the other chunks still to compute.
    const result = await team.run(job, scratch, prepare, undefined, (from, count) => {
      for (let r = from; r < from + count; r++) finished.push(r);
      if (stopping === undefined) {
        pendingWhenStopped = job.batch - finished.length;
        stopping = team.stop();
      }
    });
    expect(pendingWhenStopped).toBeGreaterThan(job.batch / 2);
    expect(result).toBe(-1);
    expect(finished.sort((a, b) => a - b)).toEqual(Array.from({ length: job.batch }, (_, r) => r));
    // Every row computed, as one thread computes it (sums are S_n; forward 'none' gives S_n / C).
    expect(sums().map((v) => Math.fround(v / job.classes))).toEqual(
      expected.map((v) => Math.fround(v / job.classes)),
    );
    await stopping;
    expect(team.failure).toBe('stopped');
    await expect(team.run(job, scratch, prepare, undefined)).rejects.toThrow(/unavailable/);
  });

  it('rejects (never hangs) a job whose workers are terminated mid-job', async () => {
    const { team, job, scratch, prepare } = await heavyJob(2);
    let pendingWhenStopped = -1;
    let stopping: Promise<void> | undefined;
    let finished = 0;
    const running = team.run(job, scratch, prepare, undefined, (_, count) => {
      finished += count;
      if (stopping === undefined) {
        pendingWhenStopped = job.batch - finished;
        stopping = team.stop(0);
      }
    });
    await expect(running).rejects.toThrow();
    expect(pendingWhenStopped).toBeGreaterThan(job.batch / 2);
    expect(finished).toBeLessThan(job.batch);
    await stopping;
    expect(team.failure).toBe('stopped');
  });
});
