import { type ILossBackend, LossError } from '@mlml/core-spec';

/** Creates the 'cpu-ts' backend. (Placeholder until its issue lands: always rejects.) */
export async function createCpuTsBackend(): Promise<ILossBackend> {
  throw new LossError('BACKEND_UNAVAILABLE', 'cpu-ts is not implemented yet');
}
