import { createReferenceBackend, type ILossBackend } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { backendContender, TRAINING_LOOP_WARMUP_CALLS } from '../src/backendContender.js';
import { generateData } from '../src/generateData.js';
import type { BenchShape } from '../src/shapes.js';

const shape: BenchShape = { id: 't', label: 't', group: 'grid', batch: 12, classes: 9, targets: 3 };

/** The reference backend, recording the options of every call. */
function recording(): { backend: ILossBackend; options: unknown[] } {
  const inner = createReferenceBackend();
  const options: unknown[] = [];
  const backend: ILossBackend = {
    name: inner.name,
    capabilities: inner.capabilities,
    forward: (input, target, o) => {
      options.push(o);
      return inner.forward(input, target, o);
    },
    backward: (input, target, grad, o) => {
      options.push(o);
      return inner.backward(input, target, grad, o);
    },
    forwardBackward: (input, target, grad, o) => {
      options.push(o);
      return inner.forwardBackward(input, target, grad, o);
    },
    dispose: () => inner.dispose(),
  };
  return { backend, options };
}

describe('backendContender', () => {
  it('with reuseOutputs, writes every call into the same arrays and gives the fresh-array values', async () => {
    const data = generateData(shape, 'float32');
    const { backend, options } = recording();
    const fresh = await backendContender(backend).prepare(data);
    const reusing = await backendContender(backend, 'ref-out', { reuseOutputs: true }).prepare(data);
    options.length = 0;
    const expected = await fresh.values('forward-backward');
    expect(options).toEqual([undefined]);
    options.length = 0;
    expect(await reusing.values('forward-backward')).toEqual(expected);
    expect(await reusing.values('forward')).toEqual({ output: expected.output });
    await reusing.values('forward-backward');
    const [first, second, third] = options as { out: { output: Float32Array; gradInput?: Float32Array } }[];
    expect(first!.out.gradInput).toHaveLength(shape.batch * shape.classes);
    expect(third!.out.gradInput).toBe(first!.out.gradInput);
    expect(second!.out.output).toBe(first!.out.output);
    expect(second!.out.gradInput).toBeUndefined();
  });

  it("with reuseOutputs, makes a training loop's first calls of each mode before it can be timed; without, none", async () => {
    const data = generateData(shape, 'float32');
    const { backend, options } = recording();
    await backendContender(backend).prepare(data);
    expect(options).toHaveLength(0);
    await backendContender(backend, 'ref-out', { reuseOutputs: true }).prepare(data);
    const calls = options as { out: { gradInput?: Float32Array } }[];
    expect(calls).toHaveLength(2 * TRAINING_LOOP_WARMUP_CALLS);
    const withGradient = calls.filter((o) => o.out.gradInput !== undefined);
    expect(withGradient).toHaveLength(TRAINING_LOOP_WARMUP_CALLS);
    expect(calls.slice(TRAINING_LOOP_WARMUP_CALLS)).toEqual(withGradient);
  });

  it("names the backend's notes (webgpu's adapter) in its description", () => {
    const { backend } = recording();
    const noted: ILossBackend = {
      ...backend,
      name: backend.name,
      capabilities: { ...backend.capabilities, notes: ['adapter: swiftshader, a fallback adapter'] },
    };
    expect(backendContender(noted).description).toContain('adapter: swiftshader, a fallback adapter');
  });

  it('says in its description that results go into arrays made once', () => {
    const { backend } = recording();
    expect(backendContender(backend, 'ref-out', { reuseOutputs: true }).description).toContain('(out)');
    expect(backendContender(backend).description).not.toContain('out');
  });
});
