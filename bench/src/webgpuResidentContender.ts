import type { ILossBackend } from '@mlml/core-spec';
import type { WebGpuBackend } from '@mlml/webgpu';
import { DEFAULT_TOLERANCE, widerTolerance } from './agreement.js';
import type { Contender, Mode } from './Contender.js';
import { timeTask } from './timeTask.js';

/** The row name of the webgpu backend called with GPU-resident tensors. */
export const WEBGPU_RESIDENT = 'webgpu-resident';

const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;

/** Whether a backend is the webgpu backend (it has a device and GPU-resident calls). */
export function isWebGpuBackend(backend: ILossBackend): backend is WebGpuBackend {
  return backend.name === 'webgpu' && 'device' in backend;
}

/**
 * The webgpu backend as a model on the GPU calls it: input and target already in GPU buffers of
 * its device (uploaded once per case, outside the timing), results left on the GPU
 * (`outputLocation: 'gpu-buffer'`; the call still reads back 4 bytes, the targets per row counted
 * on the GPU, to plan its passes, and waits for the GPU's check of the target range, 16 bytes).
 * No upload of the input and no readback of it or of the results.
 * The description names the adapter (a fallback adapter is a CPU emulation).
 */
export function webgpuResidentContender(backend: WebGpuBackend): Contender {
  const { capabilities } = backend;
  return {
    name: WEBGPU_RESIDENT,
    kind: 'backend',
    description: `mlml backend 'webgpu' on GPU-resident tensors, results left on the GPU (${capabilities.notes?.join('; ') ?? 'adapter unknown'})`,
    tolerance: (dtype) => widerTolerance(DEFAULT_TOLERANCE[dtype], capabilities.tolerance[dtype]),
    skipReason: (_shape, dtype) => (dtype === 'float32' ? undefined : `${WEBGPU_RESIDENT} is float32 only`),
    prepare: async ({ input, target }) => {
      const device = backend.device;
      const upload = (data: Float32Array | Int32Array): GPUBuffer => {
        const buffer = device.createBuffer({
          size: Math.max(4, data.byteLength),
          usage: STORAGE | COPY_SRC | COPY_DST,
        });
        device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
        return buffer;
      };
      const x = { buffer: upload(input.data as Float32Array), shape: input.shape, dtype: 'float32' } as const;
      const y = { buffer: upload(target.data), shape: target.shape, dtype: 'int32' } as const;
      const onGpu = { outputLocation: 'gpu-buffer' } as const;
      const run = async (mode: Mode) => {
        if (mode === 'forward') {
          (await backend.forward(x, y, onGpu)).buffer.destroy();
        } else {
          const { output, gradInput } = await backend.forwardBackward(x, y, undefined, onGpu);
          output.buffer.destroy();
          gradInput.buffer.destroy();
        }
      };
      return {
        // The same GPU-resident call with results brought to the CPU, for the agreement check.
        values: async (mode) => {
          if (mode === 'forward') return { output: (await backend.forward(x, y)).data };
          const { output, gradInput } = await backend.forwardBackward(x, y);
          return { output: output.data, gradInput: gradInput.data };
        },
        time: (mode, options) => timeTask(`${WEBGPU_RESIDENT} ${mode}`, () => run(mode), options),
        release: async () => {
          x.buffer.destroy();
          y.buffer.destroy();
        },
      };
    },
    // The backend itself is disposed with the 'webgpu' row.
    dispose: async () => {},
  };
}
