export { createWasmBackend, WASM_CAPABILITIES, type WasmBackendOptions } from './createWasmBackend.js';
export { hasWasmSimd } from './simdSupport.js';
