import { isLossError } from '@mlml/core-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.ts';
import { expectAgreement, randomProblem } from './helpers.ts';

let backend: WebGpuBackend;
let chunked: WebGpuBackend;
beforeAll(async () => {
  backend = await createWebGpuBackend();
  // 2 KiB bindings: at most 5 rows of 100 classes per chunk, so 40 rows take 8 or more chunks.
  chunked = await createWebGpuBackend({
    device: backend.device,
    limits: { maxStorageBufferBindingSize: 2048 },
  });
});
afterAll(async () => {
  await chunked?.dispose();
  await backend?.dispose();
});

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(new Float32Array(a).buffer));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

function sharedCopy<T extends Float32Array | Int32Array>(array: T): T {
  const shared = new SharedArrayBuffer(array.byteLength + 8);
  const view = (
    array instanceof Float32Array
      ? new Float32Array(shared, 4, array.length)
      : new Int32Array(shared, 4, array.length)
  ) as T;
  view.set(array);
  return view;
}

describe("the caller's arrays", () => {
  it('views of a SharedArrayBuffer (input, target, grad_output) compute as ordinary arrays do', async () => {
    const { input, target } = randomProblem(6, 40, 4, 21);
    const plain = await backend.forwardBackward(input, target, undefined, { reduction: 'none' });
    for (const b of [backend, chunked]) {
      const shared = await b.forwardBackward(
        { data: sharedCopy(input.data), shape: input.shape },
        { data: sharedCopy(target.data), shape: target.shape },
        { data: sharedCopy(new Float32Array(6).fill(1)), shape: [6] },
        { reduction: 'none' },
      );
      expect(bits(shared.output.data)).toEqual(bits(plain.output.data));
      expect(bits(shared.gradInput.data)).toEqual(bits(plain.gradInput.data));
    }
    await expectAgreement(
      chunked,
      { input: { data: sharedCopy(input.data), shape: input.shape }, target: target },
      'shared, chunked',
    );
  });

  it('a chunked call reads every chunk when it is made: refilling the arrays at once changes nothing', async () => {
    const { input, target } = randomProblem(40, 100, 6, 5);
    const expected = await backend.forwardBackward(input, target, undefined, { reduction: 'none' });
    const data = { input: input.data.slice(), target: target.data.slice() };
    for (const call of ['forward', 'forwardBackward'] as const) {
      data.input.set(input.data);
      data.target.set(target.data);
      const pending =
        call === 'forward'
          ? chunked.forward(
              { data: data.input, shape: input.shape },
              { data: data.target, shape: target.shape },
              {
                reduction: 'none',
              },
            )
          : chunked
              .forwardBackward(
                { data: data.input, shape: input.shape },
                { data: data.target, shape: target.shape },
                undefined,
                { reduction: 'none' },
              )
              .then((r) => {
                expect(bits(r.gradInput.data)).toEqual(bits(expected.gradInput.data));
                return r.output;
              });
      // A training loop refills its arrays as soon as the call has returned its promise,
      // with targets that would be out of range.
      data.input.fill(7);
      data.target.fill(1000);
      const output = await pending;
      expect(bits(output.data)).toEqual(bits(expected.output.data));
    }
  });

  it('a target out of range in a later chunk rejects the call, naming its index', async () => {
    const { input, target } = randomProblem(40, 100, 6, 8);
    const bad = target.data.slice();
    bad[37 * 100 + 50] = 100;
    const error = await rejection(chunked.forward(input, { data: bad, shape: target.shape }));
    expect(isLossError(error, 'TARGET_OUT_OF_RANGE')).toBe(true);
    expect((error as Error).message).toMatch(/found 100 at index 3750/);
  });

  it('a row too wide for the device is INPUT_TOO_LARGE naming the bytes needed and available', async () => {
    const { input, target } = randomProblem(1, 1000, 2, 1);
    const error = await rejection(chunked.forward(input, target));
    expect(isLossError(error, 'INPUT_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toMatch(
      /needs \d+ bytes in one buffer, more than the device's storage buffer limit of 2048 bytes/,
    );
  });
});

describe('out arrays', () => {
  it('results are written into the caller’s arrays and returned, whole or chunked', async () => {
    const { input, target } = randomProblem(12, 100, 5, 13);
    const expected = await backend.forwardBackward(input, target, undefined, { reduction: 'none' });
    for (const b of [backend, chunked]) {
      const out = {
        output: new Float32Array(12).fill(Number.NaN),
        gradInput: new Float32Array(1200).fill(9),
      };
      const result = await b.forwardBackward(input, target, undefined, { reduction: 'none', out });
      expect(result.output.data).toBe(out.output);
      expect(result.gradInput.data).toBe(out.gradInput);
      expect(bits(out.output)).toEqual(bits(expected.output.data));
      expect(bits(out.gradInput)).toEqual(bits(expected.gradInput.data));
      const sum = new Float32Array(1);
      const forward = await b.forward(input, target, { reduction: 'sum', out: { output: sum } });
      expect(forward.data).toBe(sum);
      expect(sum[0]).toBe((await backend.forward(input, target, { reduction: 'sum' })).data[0]);
      const gradient = new Float32Array(1200);
      const backward = await b.backward(
        input,
        target,
        { data: new Float32Array([2]), shape: [] },
        {
          out: { gradInput: gradient },
        },
      );
      expect(backward.data).toBe(gradient);
      const fresh = await backend.backward(input, target, { data: new Float32Array([2]), shape: [] });
      expect(bits(gradient)).toEqual(bits(fresh.data));
    }
  });
});
