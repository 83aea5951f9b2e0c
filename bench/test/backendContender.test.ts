import { createReferenceBackend, type ILossBackend } from '@mlml/core-spec';
import { describe, expect, it } from 'vitest';
import { backendContender } from '../src/backendContender.js';
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

  it('says in its description that results go into arrays made once', () => {
    const { backend } = recording();
    expect(backendContender(backend, 'ref-out', { reuseOutputs: true }).description).toContain('(out)');
    expect(backendContender(backend).description).not.toContain('out');
  });
});
