import { type ILossBackend, LossError } from '@mlml/core-spec';

/** Creates the 'webgpu' backend. (Placeholder until its issue lands: always rejects.) */
export async function createWebGpuBackend(): Promise<ILossBackend> {
  throw new LossError('BACKEND_UNAVAILABLE', 'webgpu is not implemented yet');
}
