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

/** Whether a backend declares GPU residency (`capabilities.gpuResident: true`). */
export function declaresGpuResidency(capabilities: BackendCapabilities): boolean {
  return (capabilities as BackendCapabilities & { readonly gpuResident?: unknown }).gpuResident === true;
}

/**
 * A GpuTensor given to a backend that does not declare GPU residency is refused with
 * `UNSUPPORTED_LOCATION` (as input, as target, and `outputLocation: 'gpu-buffer'`), whatever the
 * call. A backend that declares it is skipped unless `makeGpuTensor` is given; then a call with
 * GPU-resident input and target must give the results of the same call on typed arrays.
 */
export async function checkGpuLocation(
  backend: ILossBackend,
  makeGpuTensor?: GpuTensorMaker,
): Promise<CaseResult> {
  const base = { id: 'state/gpu-location', group: 'state', source: 'suite' };
  const differences: Difference[] = [];
  const dtype = supportedDtypes(backend)[0] ?? 'float32';
  const { input, target } = tinyProblem(dtype);
  if (declaresGpuResidency(backend.capabilities)) {
    if (makeGpuTensor === undefined || dtype !== 'float32') {
      return {
        ...base,
        status: 'skipped',
        reason: `${backend.name} declares GPU residency; give makeGpuTensor to check it computes on GPU-resident tensors`,
        differences,
      };
    }
    try {
      const gpuInput = await makeGpuTensor(input.data as Float32Array, input.shape);
      const gpuTarget = await makeGpuTensor(target.data, target.shape);
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
