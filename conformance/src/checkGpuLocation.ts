import type { BackendCapabilities, FloatArray, GpuTensor, ILossBackend, Tensor } from '@mlml/core-spec';
import { describeError, expectError, supportedDtypes, tinyProblem, verdict } from './caseHelpers.js';
import type { CaseResult } from './runConformance.js';
import { compareTensor, type Difference, effectiveTolerance } from './tolerance.js';

/**
 * Uploads a typed array to the backend's GPU device as a {@link GpuTensor} (given by the test of a
 * GPU-resident backend, which alone knows its device).
 */
export type GpuTensorMaker = (
  data: Float32Array | Int32Array,
  shape: readonly number[],
) => GpuTensor | Promise<GpuTensor>;

/** What the suite needs of a WebGPU device to upload a GpuTensor (structural: no WebGPU typings here). */
interface DeviceLike {
  createBuffer(descriptor: { size: number; usage: number }): object;
  readonly queue: {
    writeBuffer(
      buffer: object,
      offset: number,
      data: ArrayBufferLike,
      dataOffset: number,
      size: number,
    ): void;
  };
}

/** GPUBufferUsage STORAGE | COPY_DST | COPY_SRC (the spec's values). */
const STORAGE_COPY = 0x80 | 0x8 | 0x4;

/** The WebGPU device a backend exposes as `device` (as `WebGpuBackend` does), if any. */
function deviceOf(backend: ILossBackend): DeviceLike | undefined {
  const device = (backend as ILossBackend & { readonly device?: Partial<DeviceLike> }).device;
  return typeof device?.createBuffer === 'function' && typeof device.queue?.writeBuffer === 'function'
    ? (device as DeviceLike)
    : undefined;
}

/**
 * Whether a backend declares GPU residency: `capabilities.gpuResident: true`, or (as `ILossBackend`
 * has no such capability yet) a WebGPU `device` it exposes, as `WebGpuBackend` does. A backend's
 * test may also say so (the `gpuResident` option of `runConformance` and `describeConformance`).
 */
export function declaresGpuResidency(backend: ILossBackend): boolean {
  const capabilities = backend.capabilities as BackendCapabilities & { readonly gpuResident?: unknown };
  return capabilities.gpuResident === true || deviceOf(backend) !== undefined;
}

/** A {@link GpuTensorMaker} uploading to the WebGPU `device` a backend exposes, if it exposes one. */
export function gpuTensorMakerFor(backend: ILossBackend): GpuTensorMaker | undefined {
  const device = deviceOf(backend);
  return device === undefined ? undefined : deviceTensorMaker(device);
}

/** Uploads to the device a backend exposes (a STORAGE buffer, filled at once). */
function deviceTensorMaker(device: DeviceLike): GpuTensorMaker {
  return (data, shape) => {
    const buffer = device.createBuffer({ size: Math.max(16, data.byteLength), usage: STORAGE_COPY });
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return { buffer, shape: [...shape], dtype: data instanceof Float32Array ? 'float32' : 'int32' };
  };
}

/**
 * A GpuTensor given to a backend that is not GPU-resident (`gpuResident`, or its capabilities) is refused with
 * `UNSUPPORTED_LOCATION` (as input, as target, and `outputLocation: 'gpu-buffer'`), whatever the
 * call. For a backend that declares it, a call with GPU-resident input and target (uploaded by
 * `makeGpuTensor`, or to the `device` the backend exposes) must give the results of the same call
 * on typed arrays; without either the check is skipped.
 */
export async function checkGpuLocation(
  backend: ILossBackend,
  makeGpuTensor?: GpuTensorMaker,
  gpuResident = false,
): Promise<CaseResult> {
  const base = { id: 'state/gpu-location', group: 'state', source: 'suite' };
  const differences: Difference[] = [];
  const dtype = supportedDtypes(backend)[0] ?? 'float32';
  const { input, target } = tinyProblem(dtype);
  if (gpuResident || declaresGpuResidency(backend)) {
    const device = deviceOf(backend);
    const maker = makeGpuTensor ?? (device === undefined ? undefined : deviceTensorMaker(device));
    if (maker === undefined || dtype !== 'float32') {
      return {
        ...base,
        status: 'skipped',
        reason: `${backend.name} declares GPU residency but exposes no device: give makeGpuTensor to check it computes on GPU-resident tensors`,
        differences,
      };
    }
    try {
      const gpuInput = await maker(input.data as Float32Array, input.shape);
      const gpuTarget = await maker(target.data, target.shape);
      const wanted = await backend.forward(input, target, { reduction: 'sum' });
      const got = await backend.forward(
        gpuInput as unknown as Tensor<FloatArray>,
        gpuTarget as unknown as Tensor<Int32Array>,
        { reduction: 'sum' },
      );
      differences.push(
        ...compareTensor(
          'forward(GpuTensor)',
          'output',
          got,
          wanted,
          effectiveTolerance(backend.capabilities, dtype),
          1,
        ),
      );
    } catch (error) {
      differences.push({
        call: 'forward(GpuTensor)',
        tensor: 'error',
        message: `threw ${describeError(error)}`,
      });
    }
    return verdict(base, differences);
  }
  const fakeBuffer = { size: 16, usage: 0, label: 'not a real GPU buffer' };
  const gpuInput = { buffer: fakeBuffer, shape: [1, 4], dtype: 'float32' } as unknown as Tensor<FloatArray>;
  const gpuTarget = { buffer: fakeBuffer, shape: [1, 4], dtype: 'int32' } as unknown as Tensor<Int32Array>;
  const gradOutput = { data: dtype === 'float32' ? new Float32Array([1]) : new Float64Array([1]), shape: [] };
  const calls: [string, () => Promise<unknown>][] = [
    ['forward(GpuTensor input)', () => backend.forward(gpuInput, target)],
    ['backward(GpuTensor input)', () => backend.backward(gpuInput, target, gradOutput)],
    ['forwardBackward(GpuTensor input)', () => backend.forwardBackward(gpuInput, target)],
    ['forward(GpuTensor target)', () => backend.forward(input, gpuTarget)],
    ['forwardBackward(GpuTensor target)', () => backend.forwardBackward(input, gpuTarget, gradOutput)],
    [
      "forward(outputLocation 'gpu-buffer')",
      () => backend.forward(input, target, { outputLocation: 'gpu-buffer' }),
    ],
  ];
  for (const [call, run] of calls)
    differences.push(...(await expectError(call, run, 'UNSUPPORTED_LOCATION')));
  return verdict(base, differences);
}
