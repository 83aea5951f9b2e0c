// @ts-check
export { createNaiveBackend, NAIVE_BACKEND_NAME, NAIVE_CAPABILITIES } from './createNaiveBackend.js';
export { naiveKernel } from './naiveKernel.js';
