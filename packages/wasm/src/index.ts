import { type ILossBackend, LossError } from '@mlml/core-spec';

/** Creates the 'wasm' backend. (Placeholder until its issue lands: always rejects.) */
export async function createWasmBackend(): Promise<ILossBackend> {
  throw new LossError('BACKEND_UNAVAILABLE', 'wasm is not implemented yet');
}
