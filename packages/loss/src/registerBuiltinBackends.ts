import { registerBackend } from '@mlml/core-spec';
import { createCpuTsBackend } from '@mlml/cpu-ts';
import { createWasmBackend } from '@mlml/wasm';
import { createWebGpuBackend } from '@mlml/webgpu';

/** Priorities of the built-in backends for `createBackend('auto')`: fastest general CPU path first. */
export const BUILTIN_PRIORITIES = { wasm: 30, webgpu: 20, 'cpu-ts': 10 } as const;

registerBackend('wasm', () => createWasmBackend(), { priority: BUILTIN_PRIORITIES.wasm });
registerBackend('webgpu', () => createWebGpuBackend(), { priority: BUILTIN_PRIORITIES.webgpu });
registerBackend('cpu-ts', () => createCpuTsBackend(), { priority: BUILTIN_PRIORITIES['cpu-ts'] });
