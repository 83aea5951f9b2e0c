// @ts-check
// Importing this module registers the backend: `mlml ... --import ./src/register.js` and
// `mlml-bench --import ./src/register.js` load it before they run.
import { registerBackend } from '@mlml/core-spec';
import { createNaiveBackend, NAIVE_BACKEND_NAME } from './createNaiveBackend.js';

registerBackend(NAIVE_BACKEND_NAME, () => createNaiveBackend(), { priority: 1 });

/**
 * The bench's "vs read" column compares a backend with a pass that only reads the same bytes on
 * the same platform: plain JavaScript here ('js'). A wasm or WebGPU backend says 'wasm' or
 * 'webgpu', or gives a factory of its own read pass: `{ run(input, target): number, dispose() }`.
 * @type {Record<string, 'js' | 'wasm' | 'webgpu' | (() => unknown)>}
 */
export const benchReadPasses = { [NAIVE_BACKEND_NAME]: 'js' };
